-- Owned by the auth module: a password someone else chose (generated at installation, set
-- by an administrator) is to be changed by its owner; « Mon compte » and the home page say
-- so until they do. An installation's first administrator who never changed the generated
-- password (the account unchanged since it was made) is in that case.
ALTER TABLE users ADD COLUMN password_to_change INTEGER NOT NULL DEFAULT 0;
UPDATE users SET password_to_change = 1 WHERE email = 'admin@relais.local' AND updated_at = created_at;
