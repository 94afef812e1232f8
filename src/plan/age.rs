//! `cliMinimumReleaseAge`: how long a version must have been public before
//! `latest` or a range may take it.

use std::time::Duration;

/// The longest cooldown accepted: a year.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(365 * 86_400);

/// Parses a duration as `cliMinimumReleaseAge` takes it: `0` (off), or a
/// number with a unit, `d`, `h` or `m` (`7d`, `48h`, `90m`, `1.5d`). A bare
/// number other than 0 is refused: tools disagree on its unit (npm's
/// `min-release-age` counts days, pnpm's `minimumReleaseAge` minutes).
pub(crate) fn parse_age(text: &str) -> Option<Duration> {
    let text = text.trim().to_ascii_lowercase();
    if text.parse::<f64>() == Ok(0.0) {
        return Some(Duration::ZERO);
    }
    let (number, unit) = text.split_at(text.find(|c: char| c.is_ascii_alphabetic())?);
    let seconds = match unit.trim() {
        "d" | "day" | "days" => 86_400.0,
        "h" | "hour" | "hours" => 3_600.0,
        "m" | "min" | "minutes" => 60.0,
        _ => return None,
    };
    let n: f64 = number.trim().parse().ok()?;
    let secs = n * seconds;
    // A bound keeps `Duration` from overflowing on `1e300d`; no release
    // needs to cool down for longer.
    (n.is_finite() && n >= 0.0 && secs <= MAX_AGE.as_secs_f64())
        .then(|| Duration::from_secs_f64(secs))
}

/// `3d`, `36h`, `45m`: the largest unit that divides the duration.
pub(crate) fn show_age(age: Duration) -> String {
    let s = age.as_secs();
    if s == 0 {
        "0".into()
    } else if s.is_multiple_of(86_400) {
        format!("{}d", s / 86_400)
    } else if s.is_multiple_of(3_600) {
        format!("{}h", s / 3_600)
    } else if s >= 3_600 {
        format!("{:.1}h", s as f64 / 3_600.0)
    } else {
        format!("{}m", s.div_ceil(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        let day = Duration::from_secs(86_400);
        assert_eq!(parse_age("0"), Some(Duration::ZERO));
        assert_eq!(parse_age("7d"), Some(7 * day));
        assert_eq!(parse_age(" 48h "), Some(2 * day));
        assert_eq!(parse_age("90m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_age("1.5d"), Some(Duration::from_secs(129_600)));
        assert_eq!(parse_age("3 days"), Some(3 * day));
        for bad in ["7", "", "d", "-1d", "7w", "soon", "1e300d", "366d"] {
            assert_eq!(parse_age(bad), None, "{bad}");
        }
        assert_eq!(show_age(3 * day), "3d");
        assert_eq!(show_age(Duration::from_secs(7200)), "2h");
        assert_eq!(show_age(Duration::from_secs(5400)), "1.5h");
        assert_eq!(show_age(Duration::from_secs(61)), "2m");
    }
}
