//! Per-point means and 95% confidence half-widths across replications.

/// Two-sided 95% Student-t quantiles t(0.975, df) for df = 1..=30.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// t(0.975, df): tabulated up to 30, then the Cornish-Fisher expansion
/// around the normal quantile, which is within 0.001 of the exact value there.
pub fn t_975(df: usize) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T975[df - 1],
        _ => {
            let z: f64 = 1.959_964;
            let n = df as f64;
            z + (z.powi(3) + z) / (4.0 * n)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        }
    }
}

/// Mean and 95% confidence half-width of the finite values of `xs`
/// (NaN marks a metric undefined in that replication, e.g. a latency with no
/// samples). The half-width is NaN with fewer than two finite values.
pub fn mean_ci95(xs: &[f64]) -> (f64, f64) {
    let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, f64::NAN);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, t_975(n - 1) * (var / n as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Published t(0.975) values: df 40 → 2.021, 60 → 2.000, 120 → 1.980.
        for (df, t) in [(40, 2.021), (60, 2.000), (120, 1.980), (5, 2.571)] {
            assert!((t_975(df) - t).abs() < 1e-3, "df {df}: {}", t_975(df));
        }
    }

    #[test]
    fn ci_of_a_known_sample() {
        // 2, 4, 6, 8: mean 5, s² = 20/3, half-width 3.182 · sqrt(20/3 / 4) = 4.1078.
        let (m, h) = mean_ci95(&[2.0, 4.0, f64::NAN, 6.0, 8.0]);
        assert_eq!(m, 5.0);
        assert!((h - 4.1078).abs() < 1e-3, "{h}");
        assert!(mean_ci95(&[3.0]).1.is_nan());
        assert!(mean_ci95(&[f64::NAN]).0.is_nan());
    }
}
