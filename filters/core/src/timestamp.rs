//! RFC 3339 timestamps in, RFC 9110 IMF-fixdate and Unix seconds out, and [`Timestamp`]: the
//! telemetry record's `time`, RFC 3339 in UTC with milliseconds.
//!
//! Hand-written rather than the `time` crate: it is ~30 KiB of the filters' `.wasm`, which must stay
//! under 300 KiB, and configuration only needs this one format each way. The calendar arithmetic is
//! Howard Hinnant's `days_from_civil` / `civil_from_days` (public domain), exact for the proleptic
//! Gregorian calendar.

/// Parses an RFC 3339 date-time (`2026-12-31T23:59:59Z`, `…T08:00:00.5+08:00`) to Unix seconds.
pub fn parse_rfc3339(value: &str) -> Option<i64> {
    parse_rfc3339_ms(value).map(|unix_ms| unix_ms.div_euclid(1000))
}

/// Parses an RFC 3339 date-time to Unix milliseconds (digits past the millisecond are dropped).
fn parse_rfc3339_ms(value: &str) -> Option<i64> {
    let bytes = value.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let slice = bytes.get(from..from + len)?;
        slice.iter().try_fold(0i64, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
        })
    };
    let separator = |at: usize, allowed: &[u8]| bytes.get(at).is_some_and(|b| allowed.contains(b));
    if !(separator(4, b"-")
        && separator(7, b"-")
        && separator(10, b"Tt")
        && separator(13, b":")
        && separator(16, b":"))
    {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    // 60 is a leap second; Unix time folds it into the next minute.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut millis = 0;
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while let Some(digit) = bytes.get(at).filter(|b| b.is_ascii_digit()) {
            if at - start < 3 {
                millis = millis * 10 + i64::from(digit - b'0');
            }
            at += 1;
        }
        if at == start {
            return None;
        }
        for _ in (at - start)..3 {
            millis *= 10;
        }
    }
    let offset = match bytes.get(at)? {
        b'Z' | b'z' if at + 1 == bytes.len() => 0,
        sign @ (b'+' | b'-') if at + 6 == bytes.len() && separator(at + 3, b":") => {
            let (hours, minutes) = (digits(at + 1, 2)?, digits(at + 4, 2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    let seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(seconds * 1000 + millis)
}

/// Formats Unix seconds as an IMF-fixdate: `Fri, 01 Jan 2027 00:00:00 GMT`.
pub fn imf_fixdate(unix: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = usize::try_from(days.rem_euclid(7))
        .ok()
        .and_then(|i| WEEKDAYS.get(i))
        .unwrap_or(&"Thu");
    let month_name = usize::try_from(month - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .unwrap_or(&"Jan");
    format!(
        "{weekday}, {day:02} {month_name} {year:04} {:02}:{:02}:{:02} GMT",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// A moment as the telemetry record writes it: RFC 3339 in UTC with milliseconds,
/// `2026-12-06T07:01:39.123Z`, always 24 bytes. Years 0000–9999 only, so every value has that one
/// form (serde's output, through `Display`, and the hand-written line agree on all of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    unix_ms: i64,
}

impl Timestamp {
    /// `0000-01-01T00:00:00.000Z`.
    pub const MIN_UNIX_MS: i64 = -62_167_219_200_000;
    /// `9999-12-31T23:59:59.999Z`.
    pub const MAX_UNIX_MS: i64 = 253_402_300_799_999;

    /// The moment `unix_ms` milliseconds after the Unix epoch, if its year is 0000–9999.
    pub fn from_unix_ms(unix_ms: i64) -> Option<Self> {
        (Self::MIN_UNIX_MS..=Self::MAX_UNIX_MS)
            .contains(&unix_ms)
            .then_some(Timestamp { unix_ms })
    }

    /// The moment of a proxy-wasm clock reading (nanoseconds since the epoch), truncated to the
    /// millisecond.
    pub fn from_unix_nanos(unix_nanos: u64) -> Option<Self> {
        Self::from_unix_ms(i64::try_from(unix_nanos / 1_000_000).ok()?)
    }

    /// Parses any RFC 3339 date-time (`2026-12-06T07:01:39.123Z`, `…T15:01:39+08:00`), to the
    /// millisecond.
    pub fn parse(value: &str) -> Option<Self> {
        Self::from_unix_ms(parse_rfc3339_ms(value)?)
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_ms(self) -> i64 {
        self.unix_ms
    }

    /// Appends the 24 bytes, without quotes.
    pub(crate) fn write(self, out: &mut String) {
        let days = self.unix_ms.div_euclid(86_400_000);
        let in_day = self.unix_ms.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        let fields: [(i64, u32, char); 7] = [
            (year, 4, '-'),
            (month, 2, '-'),
            (day, 2, 'T'),
            (in_day / 3_600_000, 2, ':'),
            (in_day / 60_000 % 60, 2, ':'),
            (in_day / 1000 % 60, 2, '.'),
            (in_day % 1000, 3, 'Z'),
        ];
        for (value, width, after) in fields {
            // In range by construction (year 0–9999): every digit is 0–9.
            let mut divisor = 10i64.pow(width - 1);
            while divisor > 0 {
                out.push(char::from(
                    b'0' + u8::try_from(value / divisor % 10).unwrap_or(0),
                ));
                divisor /= 10;
            }
            out.push(after);
        }
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = String::with_capacity(24);
        self.write(&mut text);
        f.write_str(&text)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_forms() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-01-01T00:00:00Z"), Some(1_767_225_600));
        assert_eq!(
            parse_rfc3339("2027-01-01T08:00:00+08:00"),
            Some(1_798_761_600)
        );
        assert_eq!(
            parse_rfc3339("2026-12-31t19:00:00.123-05:00"),
            Some(1_798_761_600)
        );
        assert_eq!(parse_rfc3339("2024-02-29T12:00:00Z"), Some(1_709_208_000));
    }

    #[test]
    fn refuses_what_is_not_rfc3339() {
        for bad in [
            "",
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01 00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+0800",
            "2026-01-01T00:00:00Zjunk",
            "26-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_imf_fixdate() {
        assert_eq!(imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(imf_fixdate(1_798_761_600), "Fri, 01 Jan 2027 00:00:00 GMT");
        assert_eq!(
            imf_fixdate(1_709_208_000 + 3_723),
            "Thu, 29 Feb 2024 13:02:03 GMT"
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_milliseconds() {
        for (unix_ms, expected) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_798_761_600_000, "2027-01-01T00:00:00.000Z"),
            (1_709_208_003_723 + 3_723_000, "2024-02-29T13:02:06.723Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (Timestamp::MIN_UNIX_MS, "0000-01-01T00:00:00.000Z"),
            (Timestamp::MAX_UNIX_MS, "9999-12-31T23:59:59.999Z"),
        ] {
            let timestamp = Timestamp::from_unix_ms(unix_ms).unwrap();
            assert_eq!(timestamp.to_string(), expected);
            assert_eq!(Timestamp::parse(expected), Some(timestamp));
            assert_eq!(
                parse_rfc3339(expected),
                Some(unix_ms.div_euclid(1000)),
                "{expected}"
            );
        }
        assert_eq!(
            Timestamp::parse("2026-12-06T15:01:39.1239+08:00").map(Timestamp::unix_ms),
            Some(1_796_540_499_123)
        );
        assert_eq!(
            Timestamp::parse("2026-12-06T07:01:39.5Z").map(|time| time.to_string()),
            Some("2026-12-06T07:01:39.500Z".to_owned())
        );
        assert_eq!(Timestamp::from_unix_ms(Timestamp::MIN_UNIX_MS - 1), None);
        assert_eq!(Timestamp::from_unix_ms(Timestamp::MAX_UNIX_MS + 1), None);
        assert_eq!(
            Timestamp::from_unix_nanos(1_798_761_600_123_999_999).map(Timestamp::unix_ms),
            Some(1_798_761_600_123)
        );
        assert_eq!(
            Timestamp::from_unix_nanos(u64::MAX).map(|time| time.to_string()),
            Some("2554-07-21T23:34:33.709Z".to_owned())
        );
    }

    #[test]
    fn calendar_round_trips() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
