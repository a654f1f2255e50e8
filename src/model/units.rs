//! Parsing of the model's values: durations with units, fractions, counts
//! and rates. Each parser says what was wrong and suggests the fix.

use super::raw::Scalar;
use crate::finding::shorten;

/// Why a value was refused; the validator turns it into a finding.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueError {
    /// Stable finding code.
    pub code: &'static str,
    /// One sentence (without the field name; the caller adds it).
    pub message: String,
    /// The fix, when there is an obvious one.
    pub hint: Option<String>,
}

impl ValueError {
    fn new(code: &'static str, message: impl Into<String>, hint: Option<String>) -> Self {
        ValueError {
            code,
            message: message.into(),
            hint,
        }
    }
}

/// Finding codes for values. Stable: documented in the README.
pub mod codes {
    /// A count that is negative or not a whole number.
    pub const BAD_COUNT: &str = "E017";
    /// A negative duration.
    pub const NEGATIVE_DURATION: &str = "E018";
    /// A duration without a unit, or with an unknown one.
    pub const MALFORMED_DURATION: &str = "E019";
    /// A negative rate.
    pub const NEGATIVE_RATE: &str = "E020";
    /// A rate that is not a number.
    pub const MALFORMED_RATE: &str = "E021";
    /// A fraction above 100 % or below 0.
    pub const FRACTION_RANGE: &str = "E022";
    /// A fraction that is not `30%` or `0.3`.
    pub const MALFORMED_FRACTION: &str = "E023";
}

fn describe(s: &Scalar) -> String {
    match s {
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => trim_float(*f),
        Scalar::Str(t) => format!("`{}`", shorten(t)),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Null => "an empty value".into(),
    }
}

/// Parses a duration with units (`250ms`, `1.5s`, `5m`, `1h`, `1d`, `1m30s`)
/// into seconds. A bare number is refused with a "did you mean" in ms.
pub fn duration(value: &Scalar) -> Result<f64, ValueError> {
    let text = match value {
        Scalar::Str(t) => t.trim(),
        Scalar::Int(n) => return Err(no_unit(&n.to_string(), *n as f64)),
        Scalar::Float(f) => return Err(no_unit(&f.to_string(), *f)),
        other => {
            return Err(ValueError::new(
                codes::MALFORMED_DURATION,
                format!("expected a duration, found {}", describe(other)),
                Some("write a duration with a unit: `250ms`, `1.5s`, `5m`, `1h`, `1m30s`".into()),
            ));
        }
    };
    if let Some(rest) = text.strip_prefix('-')
        && parse_compound(rest).is_some()
    {
        return Err(ValueError::new(
            codes::NEGATIVE_DURATION,
            format!("duration `{text}` is negative"),
            Some("durations are zero or more".into()),
        ));
    }
    parse_compound(text).ok_or_else(|| match text.parse::<f64>() {
        Ok(n) => no_unit(text, n),
        Err(_) => ValueError::new(
            codes::MALFORMED_DURATION,
            format!("`{}` is not a duration", shorten(text)),
            Some(
                "write a duration with a unit: `250ms`, `1.5s`, `5m`, `1h`, `1d`, or compound `1m30s`"
                    .into(),
            ),
        ),
    })
}

/// A number written where a duration belongs: the unit is required, and
/// the likelier one is suggested (a few units are seconds, hundreds are
/// milliseconds), the other named too.
fn no_unit(written: &str, n: f64) -> ValueError {
    let hint = if !n.is_finite() || n < 0.0 {
        "write a positive duration with a unit, such as `250ms` or `2s`".to_owned()
    } else if n < 100.0 {
        format!("did you mean `{written}s`? (or `{written}ms`)")
    } else {
        format!("did you mean `{written}ms`? (or `{written}s`)")
    };
    ValueError::new(
        codes::MALFORMED_DURATION,
        format!("duration {written} has no unit; a unit is required"),
        Some(hint),
    )
}

/// `1m30s` → 90.0. Units ms, s, m, h, d; each part a decimal number.
fn parse_compound(text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut total = 0.0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number: f64 = text[start..i].parse().ok()?;
        if text[start..i].starts_with('.') || text[start..i].ends_with('.') {
            return None;
        }
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let factor = match &text[unit_start..i] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return None,
        };
        total += number * factor;
    }
    total.is_finite().then_some(total)
}

/// Parses a fraction written `30%` or `0.3` into 0–1. A bare number above 1
/// is refused with "did you mean `N%`?".
pub fn fraction(value: &Scalar) -> Result<f64, ValueError> {
    let (number, written_percent) = match value {
        Scalar::Int(n) => (*n as f64, false),
        Scalar::Float(f) => (*f, false),
        Scalar::Str(t) => {
            let t = t.trim();
            match t.strip_suffix('%').map(|n| n.trim().parse::<f64>()) {
                Some(Ok(p)) => (p / 100.0, true),
                _ => {
                    match t.parse::<f64>() {
                        Ok(f) => (f, false),
                        Err(_) => {
                            return Err(ValueError::new(
                            codes::MALFORMED_FRACTION,
                            format!("`{}` is not a fraction", shorten(t)),
                            Some("write a percentage like `30%` or a number from 0 to 1 like `0.3`".into()),
                        ));
                        }
                    }
                }
            }
        }
        other => {
            return Err(ValueError::new(
                codes::MALFORMED_FRACTION,
                format!("expected a fraction, found {}", describe(other)),
                Some("write a percentage like `30%` or a number from 0 to 1 like `0.3`".into()),
            ));
        }
    };
    if number.is_nan() || number.is_infinite() {
        return Err(ValueError::new(
            codes::MALFORMED_FRACTION,
            format!("fraction {} is not a number", describe(value)),
            Some("write a percentage like `30%` or a number from 0 to 1 like `0.3`".into()),
        ));
    }
    if number < 0.0 {
        return Err(ValueError::new(
            codes::FRACTION_RANGE,
            format!("fraction {} is negative", describe(value)),
            Some("fractions run from 0 to 100%".into()),
        ));
    }
    if number > 1.0 {
        let hint = if written_percent {
            "percentages run from 0% to 100%".to_string()
        } else {
            format!("did you mean `{}%`?", trim_float(number))
        };
        let shown = if written_percent {
            describe(value)
        } else {
            trim_float(number)
        };
        return Err(ValueError::new(
            codes::FRACTION_RANGE,
            format!("fraction {shown} is above 100%"),
            Some(hint),
        ));
    }
    Ok(number)
}

fn trim_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else if f.is_finite() && f.abs() >= 1e15 {
        // Not 18446744073709552000: the digits past 17 are not what was written.
        format!("{f:e}")
    } else {
        f.to_string()
    }
}

/// Parses a non-negative whole number.
pub fn count(value: &Scalar) -> Result<u64, ValueError> {
    match value {
        Scalar::Int(n) if *n >= 0 => Ok(*n as u64),
        Scalar::Int(n) => Err(ValueError::new(
            codes::BAD_COUNT,
            format!("count {n} is negative"),
            Some("counts are whole numbers, 0 or more".into()),
        )),
        Scalar::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f < 9.0e15 => Ok(*f as u64),
        Scalar::Float(f) if *f >= 9.0e15 => Err(ValueError::new(
            codes::BAD_COUNT,
            format!("count {} is too large", trim_float(*f)),
            Some("counts are whole numbers well below 2⁵³".into()),
        )),
        Scalar::Float(f) if f.is_nan() => Err(ValueError::new(
            codes::BAD_COUNT,
            "count is not a number (`.nan`)",
            Some("counts are whole numbers, 0 or more".into()),
        )),
        Scalar::Float(f) => Err(ValueError::new(
            codes::BAD_COUNT,
            format!("count {f} is not a whole number"),
            Some(format!("did you mean {}?", f.abs().round().max(0.0))),
        )),
        other => Err(ValueError::new(
            codes::BAD_COUNT,
            format!("expected a whole number, found {}", describe(other)),
            None,
        )),
    }
}

/// Parses a rate (requests per second): any non-negative number.
pub fn rate(value: &Scalar) -> Result<f64, ValueError> {
    let n = match value {
        Scalar::Int(n) => *n as f64,
        Scalar::Float(f) => *f,
        other => {
            let hint = match other {
                Scalar::Str(t) if t.trim_end().ends_with("rps") || t.contains('/') => {
                    Some("write the number alone: rates are requests per second".to_string())
                }
                _ => Some("rates are numbers of requests per second, like `1200`".into()),
            };
            return Err(ValueError::new(
                codes::MALFORMED_RATE,
                format!("expected a rate, found {}", describe(other)),
                hint,
            ));
        }
    };
    if !n.is_finite() {
        return Err(ValueError::new(
            codes::MALFORMED_RATE,
            format!("rate {n} is not finite"),
            None,
        ));
    }
    if n < 0.0 {
        return Err(ValueError::new(
            codes::NEGATIVE_RATE,
            format!("rate {} is negative", trim_float(n)),
            Some("rates are 0 or more requests per second".into()),
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> Scalar {
        Scalar::Str(t.into())
    }

    #[test]
    fn durations_with_units() {
        assert_eq!(duration(&s("250ms")).unwrap(), 0.25);
        assert_eq!(duration(&s("1.5s")).unwrap(), 1.5);
        assert_eq!(duration(&s("5m")).unwrap(), 300.0);
        assert_eq!(duration(&s("1h")).unwrap(), 3600.0);
        assert_eq!(duration(&s("1d")).unwrap(), 86400.0);
        assert_eq!(duration(&s("1m30s")).unwrap(), 90.0);
        assert_eq!(duration(&s("2h30m")).unwrap(), 9000.0);
        assert_eq!(duration(&s("0s")).unwrap(), 0.0);
    }

    #[test]
    fn bare_numbers_and_junk_are_refused() {
        let e = duration(&Scalar::Int(250)).unwrap_err();
        assert_eq!(e.code, codes::MALFORMED_DURATION);
        assert_eq!(e.hint.as_deref(), Some("did you mean `250ms`? (or `250s`)"));
        assert_eq!(
            duration(&s("250")).unwrap_err().hint.as_deref(),
            Some("did you mean `250ms`? (or `250s`)")
        );
        // issue 13: `timeout: 2` is two seconds far more often than two milliseconds.
        let e = duration(&Scalar::Int(2)).unwrap_err();
        assert!(e.message.contains("a unit is required"), "{e:?}");
        assert_eq!(e.hint.as_deref(), Some("did you mean `2s`? (or `2ms`)"));
        assert_eq!(
            duration(&s("5 minutes")).unwrap_err().code,
            codes::MALFORMED_DURATION
        );
        assert_eq!(
            duration(&s("1.s")).unwrap_err().code,
            codes::MALFORMED_DURATION
        );
        assert_eq!(
            duration(&s("-5s")).unwrap_err().code,
            codes::NEGATIVE_DURATION
        );
    }

    #[test]
    fn fractions() {
        assert_eq!(fraction(&s("30%")).unwrap(), 0.3);
        assert_eq!(fraction(&Scalar::Float(0.3)).unwrap(), 0.3);
        assert_eq!(fraction(&Scalar::Int(1)).unwrap(), 1.0);
        assert!((fraction(&s("99.95%")).unwrap() - 0.9995).abs() < 1e-12);
        let e = fraction(&Scalar::Int(30)).unwrap_err();
        assert_eq!(
            (e.code, e.hint.as_deref()),
            (codes::FRACTION_RANGE, Some("did you mean `30%`?"))
        );
        assert_eq!(
            fraction(&s("150%")).unwrap_err().code,
            codes::FRACTION_RANGE
        );
        assert_eq!(
            fraction(&Scalar::Float(-0.1)).unwrap_err().code,
            codes::FRACTION_RANGE
        );
        assert_eq!(
            fraction(&s("lots")).unwrap_err().code,
            codes::MALFORMED_FRACTION
        );
        // issue 16: NaN is not a number, not "negative".
        for nan in [s("NaN%"), s("nan"), Scalar::Float(f64::NAN), s("inf%")] {
            let e = fraction(&nan).unwrap_err();
            assert_eq!(e.code, codes::MALFORMED_FRACTION, "{nan:?}");
            assert!(e.message.contains("not a number"), "{e:?}");
        }
    }

    #[test]
    fn huge_counts_are_too_large_not_fractional() {
        // issue 16: past 2⁶⁴ YAML gives a float; it is too large, not "did you mean 18446744073709552000?".
        let e = count(&Scalar::plain("99999999999999999999999".into())).unwrap_err();
        assert_eq!(e.code, codes::BAD_COUNT);
        assert!(e.message.contains("too large"), "{e:?}");
        assert!(!e.hint.unwrap_or_default().contains("did you mean"));
        assert!(
            count(&Scalar::Float(f64::NAN))
                .unwrap_err()
                .message
                .contains("not a number")
        );
    }

    #[test]
    fn counts_and_rates() {
        assert_eq!(count(&Scalar::Int(3)).unwrap(), 3);
        assert_eq!(count(&Scalar::Int(-1)).unwrap_err().code, codes::BAD_COUNT);
        assert_eq!(
            count(&Scalar::Float(2.5)).unwrap_err().code,
            codes::BAD_COUNT
        );
        assert_eq!(rate(&Scalar::Float(12.5)).unwrap(), 12.5);
        assert_eq!(
            rate(&Scalar::Int(-3)).unwrap_err().code,
            codes::NEGATIVE_RATE
        );
        assert_eq!(rate(&s("100rps")).unwrap_err().code, codes::MALFORMED_RATE);
    }
}
