package pipeline

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"maps"
	"reflect"
	"strings"
)

// backendName returns the name of the state's backend, or the settings
// view's name when no backend is set, so that steps can name the backend in
// errors and store lookups even when run outside the engine.
func backendName(s *State) string {
	if s.Backend != nil {
		if v := reflect.ValueOf(s.Backend); v.Kind() != reflect.Pointer || !v.IsNil() {
			if name := s.Backend.Name(); name != "" {
				return name
			}
		}
	}
	return s.Settings.Name()
}

// logger returns the state's logger, or one that discards everything when
// a step is called outside [Run].
func logger(s *State) *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// containsFold reports whether list holds name, compared without regard to
// case and surrounding spaces.
func containsFold(list []string, name string) bool {
	for _, item := range list {
		if strings.EqualFold(strings.TrimSpace(item), name) {
			return true
		}
	}
	return false
}

// isEmptyValue reports whether v is "empty" in the sense of the EXTRA_DATA
// discard flag: nil, a zero number, false, or an empty string, slice or map.
func isEmptyValue(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String, reflect.Slice, reflect.Map, reflect.Array:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return rv.IsZero()
}

// sameJSON reports whether a and b encode to the same JSON. Stores keep
// maps as JSON, so an int written and a float64 read back are the same
// value; comparing encodings avoids needless writes.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return reflect.DeepEqual(a, b)
	}
	return bytes.Equal(ja, jb)
}

// cloneMap returns a shallow copy of m that is never nil.
func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	maps.Copy(out, m)
	return out
}
