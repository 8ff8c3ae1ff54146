-- The initial socialauth schema for SQLite. This file is a text/template
-- filled with the store Options; times are Unix microseconds.

CREATE TABLE socialauth_users (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	username VARCHAR({{.UsernameMaxLength}}) NOT NULL,
	email TEXT NOT NULL DEFAULT '',
	email_lower TEXT NOT NULL DEFAULT '',
	first_name TEXT NOT NULL DEFAULT '',
	last_name TEXT NOT NULL DEFAULT '',
	is_active BOOLEAN NOT NULL DEFAULT 1,
	extra TEXT NOT NULL DEFAULT '{}',
	created_at BIGINT NOT NULL,
	CONSTRAINT socialauth_users_username_key UNIQUE (username)
);

CREATE INDEX socialauth_users_email_lower_idx ON socialauth_users (email_lower);

CREATE TABLE socialauth_associations (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
{{- if .ExternalUsers}}
	user_id VARCHAR(255) NOT NULL,
{{- else}}
	user_id INTEGER NOT NULL REFERENCES socialauth_users (id) ON DELETE CASCADE,
{{- end}}
	provider VARCHAR({{.ProviderLength}}) NOT NULL,
	uid VARCHAR({{.UIDLength}}) NOT NULL,
	extra_data TEXT NOT NULL DEFAULT '{}',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	CONSTRAINT socialauth_associations_provider_uid_key UNIQUE (provider, uid)
);

CREATE INDEX socialauth_associations_user_id_idx ON socialauth_associations (user_id, provider, created_at);

CREATE TABLE socialauth_nonces (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	server_url VARCHAR({{.NonceServerURLLength}}) NOT NULL,
	timestamp BIGINT NOT NULL,
	salt VARCHAR({{.SaltLength}}) NOT NULL,
	CONSTRAINT socialauth_nonces_key UNIQUE (server_url, timestamp, salt)
);

CREATE TABLE socialauth_openid_associations (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	server_url VARCHAR({{.AssociationServerURLLength}}) NOT NULL,
	handle VARCHAR({{.AssociationHandleLength}}) NOT NULL,
	secret BLOB NOT NULL,
	issued_at BIGINT NOT NULL,
	lifetime_ns BIGINT NOT NULL,
	assoc_type VARCHAR({{.AssocTypeLength}}) NOT NULL,
	CONSTRAINT socialauth_openid_associations_key UNIQUE (server_url, handle)
);

CREATE TABLE socialauth_codes (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	code TEXT NOT NULL,
	email TEXT NOT NULL,
	verified BOOLEAN NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	CONSTRAINT socialauth_codes_code_key UNIQUE (code)
);

CREATE TABLE socialauth_partials (
	token TEXT NOT NULL PRIMARY KEY,
	backend TEXT NOT NULL,
	next_step INTEGER NOT NULL,
	data BLOB NOT NULL,
	created_at BIGINT NOT NULL
);
