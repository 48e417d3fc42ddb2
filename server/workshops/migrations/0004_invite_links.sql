-- Owned by the workshops module: an invite's link sealed with the server's key
-- (data/invite-links.key, libsodium secretbox), so that facilitators can show it again;
-- the token itself stays hashed for look-ups. Empty for links made before.
ALTER TABLE workshop_invites ADD COLUMN token_sealed TEXT NOT NULL DEFAULT '';
