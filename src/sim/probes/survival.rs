//! The Kaplan–Meier estimate of a distribution from right-censored samples.
//!
//! Reclaim latency is survival data: a dead call's state that a node freed
//! gives its latency (an event); one still held when the run ends gives only
//! a lower bound, the time from the death to the end (censored). Taking
//! percentiles over the freed states alone hides the ones never freed; the
//! estimator counts every state while it is at risk.
//!
//! At each distinct time t with d events among the n states still at risk,
//! S(t) = S(t−) · (1 − d/n). States censored at t count as at risk at t
//! (events before censoring at ties). The p-quantile is the first t with
//! 1 − S(t) ≥ p: without censoring this is the nearest-rank percentile. A
//! quantile the curve never reaches is `None` ("not reached", as R's
//! `survfit` and lifelines report it).

/// One sample: a latency in ns, and whether it was observed (`true`: the
/// state was freed) or censored (`false`: still held at the end).
pub type Sample = (u64, bool);

/// A Kaplan–Meier curve.
#[derive(Debug, Clone, PartialEq)]
pub struct KaplanMeier {
    /// (t, 1 − S(t)) at each time where an event happened, increasing.
    steps: Vec<(u64, f64)>,
    /// Samples in all.
    n: usize,
    /// Observed events.
    events: usize,
    /// The largest time of any sample, event or censored.
    max_time: Option<u64>,
}

/// Slack for comparing a product of fractions with a percentile: far below
/// one step (≥ 1/n) for any sample size the simulator produces.
const EPS: f64 = 1e-9;

impl KaplanMeier {
    /// The curve of `samples` (sorted in place).
    pub fn new(samples: &mut [Sample]) -> Self {
        // By time, events before censored samples at equal times.
        samples.sort_unstable_by_key(|&(t, event)| (t, !event));
        let n = samples.len();
        let mut steps = Vec::new();
        let mut survival = 1.0;
        let mut at_risk = n;
        let mut i = 0;
        while i < n {
            let t = samples[i].0;
            let mut j = i;
            let mut deaths = 0;
            while j < n && samples[j].0 == t {
                deaths += usize::from(samples[j].1);
                j += 1;
            }
            if deaths > 0 {
                survival *= 1.0 - deaths as f64 / at_risk as f64;
                steps.push((t, 1.0 - survival));
            }
            at_risk -= j - i;
            i = j;
        }
        KaplanMeier {
            steps,
            n,
            events: samples.iter().filter(|s| s.1).count(),
            max_time: samples.last().map(|s| s.0),
        }
    }

    /// Samples in all (the states at risk at the start).
    pub fn len(&self) -> usize {
        self.n
    }

    /// True without samples.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Observed events (states freed).
    pub fn events(&self) -> usize {
        self.events
    }

    /// True if some samples are censored.
    pub fn censored(&self) -> bool {
        self.events < self.n
    }

    /// The largest time of any sample: a quantile not reached lies beyond it.
    pub fn max_time(&self) -> Option<u64> {
        self.max_time
    }

    /// The p-quantile: the first time at which at least a fraction `p` of
    /// the samples has had its event; `None` if the curve never gets there.
    pub fn quantile(&self, p: f64) -> Option<u64> {
        self.steps
            .iter()
            .find(|&&(_, f)| f >= p - EPS)
            .map(|&(t, _)| t)
    }

    /// The estimated distribution function, 1 − S(t), at each event time.
    pub fn cdf(&self) -> &[(u64, f64)] {
        &self.steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_computed_curve_with_ties_and_censoring() {
        // Freed at 10, 20, 20, 40; still held (censored) at 20, 30, 50: n = 7.
        //   t = 10: 7 at risk, 1 event:  S = 6/7
        //   t = 20: 6 at risk, 2 events (the censored 20 is at risk): S = 6/7 · 4/6 = 4/7
        //   t = 30: censored only, S stays 4/7 (3 at risk before, 2 after)
        //   t = 40: 2 at risk, 1 event:  S = 4/7 · 1/2 = 2/7
        //   t = 50: censored only.
        // F = 1 − S: 1/7, 3/7, 5/7. p50 = 40, p25 = 20, p10 = 10, p75 not reached.
        let mut s = vec![
            (50, false),
            (20, true),
            (10, true),
            (30, false),
            (40, true),
            (20, false),
            (20, true),
        ];
        let km = KaplanMeier::new(&mut s);
        let f: Vec<(u64, f64)> = km.cdf().to_vec();
        let want = [(10, 1.0 / 7.0), (20, 3.0 / 7.0), (40, 5.0 / 7.0)];
        assert_eq!(f.len(), 3);
        for ((t, x), (wt, wx)) in f.iter().zip(want) {
            assert_eq!(*t, wt);
            assert!((x - wx).abs() < 1e-12, "{x} vs {wx}");
        }
        assert_eq!(km.quantile(0.10), Some(10));
        assert_eq!(km.quantile(1.0 / 7.0), Some(10), "exactly on a step");
        assert_eq!(km.quantile(0.25), Some(20));
        assert_eq!(km.quantile(0.50), Some(40));
        assert_eq!(km.quantile(0.75), None, "never reaches 5/7 + ...");
        assert_eq!((km.len(), km.events(), km.max_time()), (7, 4, Some(50)));
        assert!(km.censored());
    }

    #[test]
    fn without_censoring_quantiles_are_nearest_rank_percentiles() {
        // 1..=100, all observed: the p-quantile is the value at rank ⌈p·n⌉.
        let mut s: Vec<Sample> = (1..=100).rev().map(|t| (t, true)).collect();
        let km = KaplanMeier::new(&mut s);
        assert_eq!(km.quantile(0.50), Some(50));
        assert_eq!(km.quantile(0.95), Some(95));
        assert_eq!(km.quantile(0.99), Some(99));
        assert_eq!(km.quantile(1.0), Some(100));
        let mut s = vec![(1, true), (2, true), (3, true)];
        assert_eq!(
            KaplanMeier::new(&mut s).quantile(0.5),
            Some(2),
            "rank ⌈1.5⌉ = 2"
        );
        assert!(!KaplanMeier::new(&mut s).censored());
    }

    #[test]
    fn a_mostly_censored_sample_reaches_no_high_percentile() {
        // 1 state in 700 freed (at 32 s), the rest still held at 3600 s: the
        // freed-only p95 would be 32 s; the estimate reaches only 1/700.
        let mut s: Vec<Sample> = vec![(32, true)];
        s.extend(std::iter::repeat_n((3600, false), 699));
        let km = KaplanMeier::new(&mut s);
        assert_eq!(km.quantile(0.001), Some(32));
        assert_eq!(km.quantile(0.50), None);
        assert_eq!(km.quantile(0.95), None);
        let mut empty: Vec<Sample> = Vec::new();
        assert_eq!(KaplanMeier::new(&mut empty).quantile(0.5), None);
    }
}
