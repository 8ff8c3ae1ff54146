module github.com/socialauth/socialauth

go 1.26
