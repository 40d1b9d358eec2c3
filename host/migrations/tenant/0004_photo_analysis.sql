-- What the vision provider saw in a photo: {"labels", "text", "objects", "faces"}; its text
-- and labels are also indexed as chunks of the photo.
ALTER TABLE documents ADD COLUMN analysis jsonb;
