-- Owned by the notifications module: unread notices by what they are about, for settling
-- them once done (a fiche to review reviewed by someone: every reviewer's notice is read).
CREATE INDEX notifications_unread_link ON notifications(link, kind) WHERE read_at IS NULL;
