module github.com/socialauth/socialauth/sqlstore

go 1.26

require github.com/socialauth/socialauth v0.0.0-00010101000000-000000000000
