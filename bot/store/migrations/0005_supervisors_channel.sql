-- 0005: /setup can also name the supervisors' channel, where the weekly digest is posted
-- (a keyed pseudonym of the channel, like the reflection channel; config.yaml is the default).
ALTER TABLE guild_settings ADD COLUMN supervisors_channel TEXT;
