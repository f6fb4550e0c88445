//! The one number format every CSV cell uses, and its inverse.

/// A CSV cell: empty for NaN, integers without a fraction, other values with
/// six decimals and trailing zeros removed. Parsing the cell back gives the
/// value every later computation uses, so resumed, merged and direct runs agree.
pub fn fmt_cell(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// Parses a cell written by [`fmt_cell`] (empty → NaN).
pub fn parse_cell(s: &str) -> Option<f64> {
    if s.is_empty() {
        Some(f64::NAN)
    } else {
        s.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip_and_drop_noise() {
        assert_eq!(fmt_cell(3.0), "3");
        assert_eq!(fmt_cell(0.1 + 0.2), "0.3");
        assert_eq!(fmt_cell(-0.0000001), "0");
        assert_eq!(fmt_cell(f64::NAN), "");
        assert_eq!(fmt_cell(1234.5), "1234.5");
        for x in [0.5, 12.345678, 1e-6, 98765.4321] {
            let back = parse_cell(&fmt_cell(x)).unwrap();
            assert!((back - x).abs() <= 5e-7, "{x} -> {back}");
        }
        assert!(parse_cell("").unwrap().is_nan());
    }
}
