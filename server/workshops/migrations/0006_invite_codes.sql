-- Owned by the workshops module: the short code of an invite link, typed at /code by
-- people in the room (hybrid workshops). Unique among the codes still set; NULL for
-- links made before.
ALTER TABLE workshop_invites ADD COLUMN code TEXT;
CREATE UNIQUE INDEX workshop_invites_code ON workshop_invites(code) WHERE code IS NOT NULL;
