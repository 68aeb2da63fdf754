package accesslog

import (
	"testing"
	"time"
)

// TestAppendTimeMatchesTheLayout: appendTime writes what AppendFormat
// writes with timeLayout, for times around the edges of every field, in
// zones other than UTC, and outside years 0..9999.
func TestAppendTimeMatchesTheLayout(t *testing.T) {
	east := time.FixedZone("east", 5*3600+30*60)
	times := []time.Time{
		time.Date(2026, 12, 1, 10, 0, 0, 123_456_789, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2027, 1, 1, 0, 0, 0, 0, east), // the day before in UTC
		time.Date(2024, 2, 29, 12, 34, 56, 1_000_000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC),
		{},
	}
	for i := range 2000 { // a walk over months, days and milliseconds
		times = append(times, time.Unix(int64(i)*86_413+1_700_000_000, int64(i)*7_919_111%1_000_000_000))
	}
	for _, tm := range times {
		want := tm.UTC().AppendFormat(nil, timeLayout)
		if got := appendTime([]byte("x"), tm); string(got) != "x"+string(want) {
			t.Errorf("appendTime(%v) = %q, want %q", tm, got[1:], want)
		}
	}
}

// FuzzAppendTime: any instant, as AppendFormat writes it.
func FuzzAppendTime(f *testing.F) {
	f.Add(int64(1_700_000_000), int64(123_456_789))
	f.Add(int64(-62_135_596_800), int64(0))
	f.Add(int64(253_402_300_799), int64(999_999_999))
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		tm := time.Unix(sec, nsec%1_000_000_000)
		if got, want := appendTime(nil, tm), tm.UTC().AppendFormat(nil, timeLayout); string(got) != string(want) {
			t.Errorf("appendTime(%d, %d) = %q, want %q", sec, nsec, got, want)
		}
	})
}
