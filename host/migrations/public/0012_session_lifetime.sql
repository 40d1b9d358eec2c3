-- A login's session (its refresh-token family) ends at a fixed time however often it is
-- refreshed: every rotation inherits the family's end. Existing sessions end 30 days after
-- their token was issued.
ALTER TABLE public.refresh_tokens ADD COLUMN session_expires_at timestamptz;
UPDATE public.refresh_tokens SET session_expires_at = created_at + interval '30 days';
ALTER TABLE public.refresh_tokens ALTER COLUMN session_expires_at SET NOT NULL;
CREATE INDEX refresh_tokens_user_idx ON public.refresh_tokens (user_id) WHERE revoked_at IS NULL;
