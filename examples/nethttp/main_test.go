package main

import (
	"testing"

	"github.com/socialauth/socialauth/examples/internal/flowtest"
)

func TestGitHubLogin(t *testing.T) {
	flowtest.Run(t, flowtest.Site{Prefix: "", New: flowtest.OnSQLite(NewApp)})
}
