//! Dates and times: the one home for every date spoor reads from the user or writes out.
//!
//! Built on `jiff` (already in the dependency tree). Every `--date` of every subcommand goes
//! through [`parse_day`] or [`parse_timestamp`], which reject impossible dates
//! (`2024-02-31`, `2024-13-45`) instead of guessing; every date spoor writes comes from
//! [`utc`], [`rfc3339_ms`], [`iso_micros`] or [`today`]. Times outside the years 0001–9999
//! (a crafted PE or pcap header can hold any number) are written as `@SECONDS` rather than
//! as a date that does not exist.

use jiff::civil::Date;
use jiff::Timestamp;

/// A UTC time split into its fields, or `None` outside what [`Timestamp`] holds.
fn civil(secs: i64) -> Option<jiff::civil::DateTime> {
    let ts = Timestamp::from_second(secs).ok()?;
    let dt = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    (dt.year() >= 1).then_some(dt)
}

/// Seconds since 1970 as (year, month, day, hour, minute, second), UTC; `None` outside the
/// years 0001–9999.
pub fn fields(secs: i64) -> Option<(i64, i64, i64, i64, i64, i64)> {
    civil(secs).map(|t| {
        (
            i64::from(t.year()),
            i64::from(t.month()),
            i64::from(t.day()),
            i64::from(t.hour()),
            i64::from(t.minute()),
            i64::from(t.second()),
        )
    })
}

/// Seconds since 1970 as `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn utc(secs: i64) -> String {
    match civil(secs) {
        Some(t) => t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        None => format!("@{secs}"),
    }
}

/// Milliseconds since 1970 as an RFC 3339 timestamp with millisecond precision:
/// `2024-03-12T10:00:00.000Z`.
pub fn rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    match civil(secs) {
        Some(t) => format!(
            "{}.{:03}Z",
            t.strftime("%Y-%m-%dT%H:%M:%S"),
            ms.rem_euclid(1000)
        ),
        None => format!("@{secs}"),
    }
}

/// Seconds and microseconds since 1970 as ISO 8601 UTC with microseconds (packet times).
pub fn iso_micros(secs: u64, micros: u64) -> String {
    let s = i64::try_from(secs).unwrap_or(i64::MAX);
    match civil(s) {
        Some(t) => format!("{}.{micros:06}Z", t.strftime("%Y-%m-%dT%H:%M:%S")),
        None => format!("@{secs}"),
    }
}

/// Seconds since 1970 now (0 if the clock is before 1970).
pub fn now_secs() -> i64 {
    Timestamp::now().as_second().max(0)
}

/// Milliseconds since 1970 now (0 if the clock is before 1970).
pub fn now_ms() -> i64 {
    Timestamp::now().as_millisecond().max(0)
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    utc(now_secs()).chars().take(10).collect()
}

/// Checks a `YYYY-MM-DD` date given by the user: exactly that shape, and a day that exists.
pub fn parse_day(text: &str) -> Result<String, crate::Error> {
    day(text)
        .map(|d| d.to_string())
        .ok_or_else(|| crate::Error::Argument {
            message: format!("expected a date as YYYY-MM-DD that exists, got `{text}`"),
        })
}

fn day(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<i16>().ok());
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?)
        .ok()
        .filter(|d| d.year() >= 1)
}

/// Parses a creation time given by the user: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ` or
/// `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC), or an integer of seconds since 1970. Returns
/// milliseconds since 1970.
pub fn parse_timestamp(text: &str) -> Result<i64, crate::Error> {
    let bad = || crate::Error::Argument {
        message: format!(
            "bad date '{text}' (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[.sss]Z or seconds since \
             1970)"
        ),
    };
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<i64>()
            .ok()
            .and_then(|s| s.checked_mul(1000))
            .filter(|ms| civil(ms / 1000).is_some())
            .ok_or_else(bad);
    }
    let date = day(t.get(..10).ok_or_else(bad)?).ok_or_else(bad)?;
    let rest = &t[10..];
    let (time, ms) = if rest.is_empty() {
        (jiff::civil::Time::midnight(), 0)
    } else {
        // `THH:MM:SS`, an optional fraction of up to 9 digits, then `Z`.
        let r = rest.strip_prefix('T').ok_or_else(bad)?;
        let r = r.strip_suffix('Z').ok_or_else(bad)?;
        let (hms, frac) = match r.split_once('.') {
            Some((h, f)) => (h, Some(f)),
            None => (r, None),
        };
        let hb = hms.as_bytes();
        let shape = hb.len() == 8
            && hb.iter().enumerate().all(|(i, c)| {
                if i == 2 || i == 5 {
                    *c == b':'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !shape {
            return Err(bad());
        }
        let n = |r: std::ops::Range<usize>| {
            hms.get(r)
                .and_then(|s| s.parse::<i8>().ok())
                .ok_or_else(bad)
        };
        // A leap second (`:60`) is accepted as the last second of its minute.
        let time =
            jiff::civil::Time::new(n(0..2)?, n(3..5)?, n(6..8)?.min(59), 0).map_err(|_| bad())?;
        let ms = match frac {
            None => 0,
            Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
                let first3: String = f.chars().chain("00".chars()).take(3).collect();
                first3.parse::<i64>().map_err(|_| bad())?
            }
            Some(_) => return Err(bad()),
        };
        (time, ms)
    };
    let secs = date
        .to_datetime(time)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|_| bad())?
        .timestamp()
        .as_second();
    Ok(secs * 1000 + ms)
}

/// `Mon` + two-digit year of a `YYYY-MM-DD` date (`Nov26`), for rule names.
pub fn mon_yy(date: &str) -> String {
    match day(date) {
        Some(d) => d.strftime("%b%y").to_string(),
        None => "Jan00".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc(i64::MAX), format!("@{}", i64::MAX));
        assert_eq!(rfc3339_ms(1_710_237_600_123), "2024-03-12T10:00:00.123Z");
        assert_eq!(iso_micros(0, 42), "1970-01-01T00:00:00.000042Z");
        assert_eq!(iso_micros(u64::MAX, 0), format!("@{}", u64::MAX));
    }

    #[test]
    fn impossible_days_are_refused() {
        assert_eq!(parse_day("2024-02-29").as_deref(), Ok("2024-02-29"));
        for bad in [
            "2024-02-31",
            "2023-02-29",
            "2024-13-45",
            "2024-00-10",
            "0000-01-01",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
        for bad in [
            "24-03-12",
            "2024/03/12",
            "2024-3-12",
            " 2024-03-12",
            "2024-03-12x",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01"), Ok(0));
        assert_eq!(parse_timestamp("2024-03-12"), Ok(1_710_201_600_000));
        assert_eq!(
            parse_timestamp("2024-03-12T10:00:00.5Z"),
            Ok(1_710_237_600_500)
        );
        assert_eq!(parse_timestamp("1710237600"), Ok(1_710_237_600_000));
        for bad in [
            "2024-02-31",
            "2024-03-12T25:00:00Z",
            "2024-03-12T10:00:00",
            "2024-03-12T10:00:00.Z",
            "12/03/2024",
            "",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn month_and_year() {
        assert_eq!(mon_yy("2026-11-25"), "Nov26");
        assert_eq!(mon_yy("2024-01-02"), "Jan24");
    }
}
