-- The exchange log is kept within an entry cap and a byte cap, newest first. Each entry records the
-- bytes of all entries before it, so a write drops the oldest entries above the byte cap through an
-- index range instead of summing the whole log every time.

ALTER TABLE exchange_log ADD COLUMN bytes_before bigint;
UPDATE exchange_log e SET bytes_before = s.before
FROM (SELECT id, (sum(bytes) OVER (ORDER BY id) - bytes)::bigint AS before FROM exchange_log) s
WHERE s.id = e.id;
ALTER TABLE exchange_log ALTER COLUMN bytes_before SET NOT NULL;
CREATE INDEX exchange_log_by_bytes_before ON exchange_log (bytes_before);
