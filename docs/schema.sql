CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE events (
	seq INTEGER NOT NULL, 
	id CHAR(32) NOT NULL, 
	at DATETIME NOT NULL, 
	actor VARCHAR(200) NOT NULL, 
	action VARCHAR(60) NOT NULL, 
	object_type VARCHAR(30) NOT NULL, 
	object_id VARCHAR(64), 
	object_ref VARCHAR(300), 
	details TEXT NOT NULL, 
	prev_hash VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_events PRIMARY KEY (seq), 
	CONSTRAINT uq_events_id UNIQUE (id)
);
CREATE INDEX ix_events_object_id ON events (object_id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TABLE groups (
	id CHAR(32) NOT NULL, 
	slug VARCHAR(100) NOT NULL, 
	name VARCHAR(300) NOT NULL, 
	platform VARCHAR(20) NOT NULL, 
	level VARCHAR(16) NOT NULL, 
	district VARCHAR(100), 
	department VARCHAR(300), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, archived_at DATETIME, archive_reason VARCHAR(500), invite_sealed BLOB, owner_account_id CHAR(32), 
	CONSTRAINT pk_groups PRIMARY KEY (id), 
	CONSTRAINT ck_groups_level CHECK (level in ('state', 'hod', 'district')), 
	CONSTRAINT uq_groups_slug UNIQUE (slug)
);
CREATE TABLE officers (
	id CHAR(32) NOT NULL, 
	service_id VARCHAR(100) NOT NULL, 
	name VARCHAR(300) NOT NULL, 
	grade VARCHAR(100), 
	email VARCHAR(320), 
	phone VARCHAR(20), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, retired_at DATETIME, retire_reason VARCHAR(500), 
	CONSTRAINT pk_officers PRIMARY KEY (id), 
	CONSTRAINT uq_officers_service_id UNIQUE (service_id)
);
CREATE TABLE official_domains (
	domain VARCHAR(253) NOT NULL, 
	added_at DATETIME NOT NULL, 
	added_by VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_official_domains PRIMARY KEY (domain)
);
CREATE TABLE posts (
	id CHAR(32) NOT NULL, 
	slug VARCHAR(100) NOT NULL, 
	title VARCHAR(300) NOT NULL, 
	department VARCHAR(300), 
	level VARCHAR(16) NOT NULL, 
	district VARCHAR(100), 
	email VARCHAR(320), 
	phone VARCHAR(20), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, abolished_at DATETIME, abolish_reason VARCHAR(500), 
	CONSTRAINT pk_posts PRIMARY KEY (id), 
	CONSTRAINT ck_posts_level CHECK (level in ('state', 'hod', 'district')), 
	CONSTRAINT uq_posts_slug UNIQUE (slug)
);
CREATE TABLE settings (
	name VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	CONSTRAINT pk_settings PRIMARY KEY (name)
);
CREATE TABLE accounts (
	id CHAR(32) NOT NULL, 
	platform VARCHAR(20) NOT NULL, 
	handle VARCHAR(200) NOT NULL, 
	handle_key VARCHAR(200) NOT NULL, 
	url VARCHAR(500), 
	post_id CHAR(32), 
	officer_id CHAR(32), 
	kind VARCHAR(10) NOT NULL, 
	disclaimer BOOLEAN, 
	login_email VARCHAR(320), 
	login_phone VARCHAR(20), 
	recovery_email VARCHAR(320), 
	recovery_phone VARCHAR(20), 
	twofa_method VARCHAR(16) NOT NULL, 
	twofa_phone VARCHAR(20), 
	twofa_holder VARCHAR(300), 
	verification VARCHAR(12) NOT NULL, 
	verification_date DATE, 
	password_sealed BLOB, 
	password_changed_at DATETIME, 
	totp_sealed BLOB, 
	totp_changed_at DATETIME, 
	recovery_codes_sealed BLOB, 
	recovery_codes_changed_at DATETIME, 
	notes_sealed BLOB, 
	notes_changed_at DATETIME, 
	rotation_due_at DATETIME, 
	rotation_reason VARCHAR(300), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, escrowed_by VARCHAR(100), archived_at DATETIME, archive_reason VARCHAR(500), 
	CONSTRAINT pk_accounts PRIMARY KEY (id), 
	CONSTRAINT ck_accounts_kind CHECK (kind in ('official', 'personal')), 
	CONSTRAINT ck_accounts_verification CHECK (verification in ('unverified', 'applied', 'verified', 'rejected', 'lapsed')), 
	CONSTRAINT fk_accounts_officer_id_officers FOREIGN KEY(officer_id) REFERENCES officers (id), 
	CONSTRAINT fk_accounts_post_id_posts FOREIGN KEY(post_id) REFERENCES posts (id), 
	CONSTRAINT uq_accounts_platform_handle_key UNIQUE (platform, handle_key)
);
CREATE INDEX ix_accounts_post_id ON accounts (post_id);
CREATE TABLE data_keys (
	id CHAR(32) NOT NULL, 
	scope VARCHAR(10) NOT NULL, 
	post_id CHAR(32), 
	created_at DATETIME NOT NULL, 
	retired_at DATETIME, 
	CONSTRAINT pk_data_keys PRIMARY KEY (id), 
	CONSTRAINT ck_data_keys_scope CHECK (scope in ('registry', 'post')), 
	CONSTRAINT fk_data_keys_post_id_posts FOREIGN KEY(post_id) REFERENCES posts (id)
);
CREATE TABLE group_admins (
	group_id CHAR(32) NOT NULL, 
	post_id CHAR(32) NOT NULL, 
	CONSTRAINT pk_group_admins PRIMARY KEY (group_id, post_id), 
	CONSTRAINT fk_group_admins_group_id_groups FOREIGN KEY(group_id) REFERENCES groups (id) ON DELETE CASCADE, 
	CONSTRAINT fk_group_admins_post_id_posts FOREIGN KEY(post_id) REFERENCES posts (id)
);
CREATE TABLE tenures (
	id CHAR(32) NOT NULL, 
	post_id CHAR(32) NOT NULL, 
	officer_id CHAR(32) NOT NULL, 
	start_date DATE NOT NULL, 
	end_date DATE, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_tenures PRIMARY KEY (id), 
	CONSTRAINT fk_tenures_officer_id_officers FOREIGN KEY(officer_id) REFERENCES officers (id), 
	CONSTRAINT fk_tenures_post_id_posts FOREIGN KEY(post_id) REFERENCES posts (id)
);
CREATE INDEX ix_tenures_officer_id ON tenures (officer_id);
CREATE UNIQUE INDEX uq_tenures_open_post ON tenures (post_id) WHERE end_date IS NULL;
CREATE TABLE contact_overrides (
	id CHAR(32) NOT NULL, 
	account_id CHAR(32) NOT NULL, 
	field VARCHAR(20) NOT NULL, 
	value VARCHAR(320) NOT NULL, 
	reason VARCHAR(500) NOT NULL, 
	recorded_at DATETIME NOT NULL, 
	recorded_by VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_contact_overrides PRIMARY KEY (id), 
	CONSTRAINT fk_contact_overrides_account_id_accounts FOREIGN KEY(account_id) REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE INDEX ix_contact_overrides_account_id ON contact_overrides (account_id);
CREATE TABLE key_slots (
	id CHAR(32) NOT NULL, 
	key_id CHAR(32) NOT NULL, 
	kind VARCHAR(12) NOT NULL, 
	label VARCHAR(100) NOT NULL, 
	params TEXT NOT NULL, 
	wrapped BLOB NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_key_slots PRIMARY KEY (id), 
	CONSTRAINT ck_key_slots_kind CHECK (kind in ('passphrase', 'keyring', 'recovery', 'age')), 
	CONSTRAINT fk_key_slots_key_id_data_keys FOREIGN KEY(key_id) REFERENCES data_keys (id)
);
CREATE INDEX ix_key_slots_key_id ON key_slots (key_id);
CREATE TABLE verification_history (
	id CHAR(32) NOT NULL, 
	account_id CHAR(32) NOT NULL, 
	from_status VARCHAR(12), 
	to_status VARCHAR(12) NOT NULL, 
	on_date DATE NOT NULL, 
	evidence VARCHAR(1000), 
	recorded_at DATETIME NOT NULL, 
	recorded_by VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_verification_history PRIMARY KEY (id), 
	CONSTRAINT fk_verification_history_account_id_accounts FOREIGN KEY(account_id) REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE INDEX ix_verification_history_account_id ON verification_history (account_id);
CREATE TABLE checkpoints (
	id CHAR(32) NOT NULL, 
	size INTEGER NOT NULL, 
	head_hash VARCHAR(64) NOT NULL, 
	signer VARCHAR(100) NOT NULL, 
	fingerprint VARCHAR(60) NOT NULL, 
	signature TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_checkpoints PRIMARY KEY (id)
);
CREATE TABLE escrow_recipients (
	recipient VARCHAR(100) NOT NULL, 
	label VARCHAR(100) NOT NULL, 
	added_at DATETIME NOT NULL, 
	added_by VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_escrow_recipients PRIMARY KEY (recipient)
);
CREATE TABLE identities (
	id CHAR(32) NOT NULL, 
	officer_id CHAR(32) NOT NULL, 
	age_recipient VARCHAR(100) NOT NULL, 
	signing_key VARCHAR(200) NOT NULL, 
	fingerprint VARCHAR(60) NOT NULL, 
	age_secret_sealed BLOB, 
	signing_secret_sealed BLOB, 
	source VARCHAR(10) NOT NULL, 
	created_at DATETIME NOT NULL, 
	retired_at DATETIME, 
	CONSTRAINT pk_identities PRIMARY KEY (id), 
	CONSTRAINT ck_identities_source CHECK (source in ('local', 'card')), 
	CONSTRAINT fk_identities_officer_id_officers FOREIGN KEY(officer_id) REFERENCES officers (id)
);
CREATE UNIQUE INDEX uq_identities_current_officer ON identities (officer_id) WHERE retired_at IS NULL;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
       BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
       BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TABLE members (
	id CHAR(32) NOT NULL, 
	officer_id CHAR(32) NOT NULL, 
	added_at DATETIME NOT NULL, 
	added_by VARCHAR(200) NOT NULL, 
	removed_at DATETIME, 
	CONSTRAINT pk_members PRIMARY KEY (id), 
	CONSTRAINT fk_members_officer_id_officers FOREIGN KEY(officer_id) REFERENCES officers (id)
);
CREATE TABLE transfer_orders (
	id CHAR(32) NOT NULL, 
	order_no VARCHAR(100) NOT NULL, 
	order_date DATE NOT NULL, 
	officer_id CHAR(32) NOT NULL, 
	from_post_id CHAR(32), 
	to_post_id CHAR(32), 
	effective_date DATE NOT NULL, 
	imported_at DATETIME NOT NULL, 
	imported_by VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_transfer_orders PRIMARY KEY (id), 
	CONSTRAINT fk_transfer_orders_officer_id_officers FOREIGN KEY(officer_id) REFERENCES officers (id), 
	CONSTRAINT fk_transfer_orders_from_post_id_posts FOREIGN KEY(from_post_id) REFERENCES posts (id), 
	CONSTRAINT fk_transfer_orders_to_post_id_posts FOREIGN KEY(to_post_id) REFERENCES posts (id), 
	CONSTRAINT uq_transfer_orders_order_no_officer_id UNIQUE (order_no, officer_id)
);
CREATE TABLE IF NOT EXISTS "custody" (
	id CHAR(32) NOT NULL,
	packet_id CHAR(32) NOT NULL,
	direction VARCHAR(10) NOT NULL,
	post_id CHAR(32) NOT NULL,
	from_officer VARCHAR(100) NOT NULL,
	to_officer VARCHAR(100) NOT NULL,
	packet_sha256 VARCHAR(64) NOT NULL,
	created_at DATETIME NOT NULL,
	expires_at DATETIME NOT NULL,
	recorded_at DATETIME NOT NULL,
	claimed_at DATETIME,
	completed_at DATETIME,
	receipt_sha256 VARCHAR(64),
	sequence INTEGER,
	previous_sha256 VARCHAR(64),
	capacity VARCHAR(10),
	reason VARCHAR(500),
	from_fingerprint VARCHAR(60),
	to_fingerprint VARCHAR(60),
	escrow TEXT,
	CONSTRAINT pk_custody PRIMARY KEY (id),
	CONSTRAINT fk_custody_post_id_posts FOREIGN KEY(post_id) REFERENCES posts (id),
	CONSTRAINT uq_custody_packet_id_direction UNIQUE (packet_id, direction),
	CONSTRAINT ck_custody_direction CHECK (direction in ('sent', 'received', 'witnessed', 'rekeyed')),
	CONSTRAINT ck_custody_capacity CHECK (capacity in ('holder', 'it-cell'))
);
CREATE INDEX ix_custody_post_id ON custody (post_id);
CREATE TABLE escrow_copies (
	id CHAR(32) NOT NULL, 
	post_id CHAR(32) NOT NULL, 
	source VARCHAR(10) NOT NULL, 
	document_sha256 VARCHAR(64) NOT NULL, 
	made_at DATETIME NOT NULL, 
	made_by VARCHAR(100) NOT NULL, 
	recorded_at DATETIME NOT NULL, 
	ciphertext TEXT NOT NULL, 
	CONSTRAINT pk_escrow_copies PRIMARY KEY (id), 
	CONSTRAINT fk_escrow_copies_post_id_posts FOREIGN KEY(post_id) REFERENCES posts (id), 
	CONSTRAINT uq_escrow_copies_document_sha256 UNIQUE (document_sha256), 
	CONSTRAINT ck_escrow_copies_source CHECK (source in ('packet', 'report'))
);
CREATE INDEX ix_escrow_copies_post_id ON escrow_copies (post_id);
CREATE TABLE reports (
	id CHAR(32) NOT NULL, 
	post_id CHAR(32) NOT NULL, 
	officer VARCHAR(100) NOT NULL, 
	fingerprint VARCHAR(60) NOT NULL, 
	reported_at DATETIME NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	accounts INTEGER NOT NULL, 
	rotated INTEGER NOT NULL, 
	recorded_at DATETIME NOT NULL, 
	CONSTRAINT pk_reports PRIMARY KEY (id), 
	CONSTRAINT fk_reports_post_id_posts FOREIGN KEY(post_id) REFERENCES posts (id), 
	CONSTRAINT uq_reports_sha256 UNIQUE (sha256)
);
CREATE INDEX ix_reports_post_id ON reports (post_id);
CREATE TABLE account_names (
	id CHAR(32) NOT NULL, 
	account_id CHAR(32) NOT NULL, 
	platform VARCHAR(20) NOT NULL, 
	handle VARCHAR(200) NOT NULL, 
	handle_key VARCHAR(200) NOT NULL, 
	until DATETIME NOT NULL, 
	recorded_by VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_account_names PRIMARY KEY (id), 
	CONSTRAINT fk_account_names_account_id_accounts FOREIGN KEY(account_id) REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE INDEX ix_account_names_platform ON account_names (platform, handle_key);
CREATE TABLE group_admin_phones (
	group_id CHAR(32) NOT NULL, 
	phone VARCHAR(20) NOT NULL, 
	added_at DATETIME NOT NULL, 
	CONSTRAINT pk_group_admin_phones PRIMARY KEY (group_id, phone), 
	CONSTRAINT fk_group_admin_phones_group_id_groups FOREIGN KEY(group_id) REFERENCES groups (id) ON DELETE CASCADE
);
CREATE TABLE page_roles (
	id CHAR(32) NOT NULL, 
	account_id CHAR(32) NOT NULL, 
	officer_id CHAR(32), 
	post_id CHAR(32), 
	role VARCHAR(40) NOT NULL, 
	since DATE NOT NULL, 
	until DATE, 
	recorded_at DATETIME NOT NULL, 
	recorded_by VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_page_roles PRIMARY KEY (id), 
	CONSTRAINT fk_page_roles_account_id_accounts FOREIGN KEY(account_id) REFERENCES accounts (id) ON DELETE CASCADE, 
	CONSTRAINT fk_page_roles_officer_id_officers FOREIGN KEY(officer_id) REFERENCES officers (id), 
	CONSTRAINT fk_page_roles_post_id_posts FOREIGN KEY(post_id) REFERENCES posts (id), 
	CONSTRAINT ck_page_roles_holder CHECK ((officer_id IS NULL) <> (post_id IS NULL))
);
CREATE INDEX ix_page_roles_account_id ON page_roles (account_id);
