// Package sqlstore keeps socialauth's records in a SQL database through
// database/sql. It implements [store.Store] and passes the storetest
// conformance suite.
//
// The package imports no database driver: the application opens the
// database with the driver of its choice and hands the *sql.DB over,
// naming its [Dialect]:
//
//	db, err := sql.Open("sqlite", "file:app.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)")
//	...
//	st, err := sqlstore.New(ctx, db, sqlstore.SQLite, sqlstore.Options{})
//
// New applies the embedded schema migrations first (see [Migrate]); running
// them again, or from several processes at once, is harmless. Applied
// versions are recorded in the socialauth_schema_migrations table.
//
// # Tables
//
// Every table name starts with "socialauth_":
//
//   - socialauth_users: users, when the application uses socialauth's own
//     user model. Usernames are unique; emails are looked up without regard
//     to case through an indexed lower-case copy.
//   - socialauth_associations: social associations (python-social-auth's
//     "user social auth"), unique by (provider, uid), indexed by user.
//     extra_data is a JSON object.
//   - socialauth_nonces: used OpenID nonces, unique by (server_url,
//     timestamp, salt).
//   - socialauth_openid_associations: OpenID 2.0 associations, unique by
//     (server_url, handle).
//   - socialauth_codes: email validation codes, unique by code.
//   - socialauth_partials: paused pipelines, keyed by token.
//
// Times are stored as Unix microseconds in integer columns, so values read
// back have microsecond precision and are in UTC. Extra data comes back as
// encoding/json decodes into an any: numbers as float64, objects as
// map[string]any.
//
// # Field lengths
//
// [Options] carries python-social-auth's field-length settings
// (SOCIAL_AUTH_UID_LENGTH and friends, see [OptionsFromSettings]). They are
// written into the schema when it is first created and checked in Go on
// every write, since SQLite does not enforce column lengths: a longer value
// is refused with a [*FieldTooLongError] and nothing is stored. Changing a
// length after the tables exist changes the check but not the columns.
//
// # Your own user model
//
// An application that keeps its own users implements [store.UserStore]
// itself and sets Options.ExternalUsers: user IDs in
// socialauth_associations are then free-form text without a foreign key to
// socialauth_users. The choice is written into the schema when it is
// created.
package sqlstore
