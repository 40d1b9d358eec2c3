-- Lets a statement refuse its whole transaction: a statement sent together with the COMMIT
-- (its result is not read before the COMMIT runs) raises, and the COMMIT does not take effect.
CREATE FUNCTION public.raise_unless(ok boolean, message text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION USING MESSAGE = message, ERRCODE = 'P0001';
  END IF;
END
$$;
