-- Timestamps leave the database as RFC 3339 in UTC ("2026-11-22T13:05:00Z"), in one place;
-- 'infinity' (a period without end) stays 'infinity'.
CREATE FUNCTION public.rfc3339(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN isfinite(t) THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
              ELSE t::text END
$$;
