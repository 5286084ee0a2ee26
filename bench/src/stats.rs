//! Statistics of the raw samples: median, percentiles, spread, ratios, and
//! the paired intervals of figures measured with and without the module.
//!
//! Percentiles interpolate linearly between the two nearest ranks (the
//! "type 7" definition of Hyndman and Fan, NumPy's default): the p-th
//! percentile of n sorted values is at rank `p / 100 * (n - 1)`. The median
//! is the 50th percentile (the mean of the two middle values for an even n).
//!
//! The paired intervals are Student's t intervals on the differences of the
//! pairs (pair i = the i-th value of each list): on the log ratios
//! `d_i = ln(with_i / without_i)` for the ratio (so the estimate is the
//! geometric mean of the pair ratios, and the interval
//! `exp(d̄ ± t(0.975, n − 1) · s / √n)`), and on `with_i − without_i` for the
//! added cost in the samples' unit.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Values sorted in increasing order, without NaN.
#[derive(Clone, Debug, PartialEq)]
pub struct Sorted(Vec<f64>);

impl Sorted {
    /// Sorts `values`; `None` when one of them is NaN.
    pub fn new(values: &[f64]) -> Option<Self> {
        if values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Some(Self(v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The p-th percentile (0 ≤ p ≤ 100); `None` when there are no values
    /// or p is out of range.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.0.is_empty() || !(0.0..=100.0).contains(&p) {
            return None;
        }
        let rank = p / 100.0 * (self.0.len() - 1) as f64;
        let lo = rank.floor() as usize;
        let hi = rank.ceil() as usize;
        let frac = rank - lo as f64;
        Some(self.0[lo] + (self.0[hi] - self.0[lo]) * frac)
    }

    pub fn median(&self) -> Option<f64> {
        self.percentile(50.0)
    }

    pub fn min(&self) -> Option<f64> {
        self.0.first().copied()
    }

    pub fn max(&self) -> Option<f64> {
        self.0.last().copied()
    }
}

/// The median, the spread and the count of a set of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub p10: f64,
    pub p90: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    /// `None` for no samples (or a NaN among them).
    pub fn of(values: &[f64]) -> Option<Self> {
        let s = Sorted::new(values)?;
        Some(Self {
            n: s.len(),
            median: s.median()?,
            p10: s.percentile(10.0)?,
            p90: s.percentile(90.0)?,
            min: s.min()?,
            max: s.max()?,
        })
    }

    /// Every figure divided by `per` (a change of unit: `per` of the
    /// samples' unit make one of the new unit), the count kept.
    pub fn in_units_of(self, per: f64) -> Self {
        Self {
            median: self.median / per,
            p10: self.p10 / per,
            p90: self.p90 / per,
            min: self.min / per,
            max: self.max / per,
            ..self
        }
    }
}

/// `a / b`; `None` when b is zero or either is not finite.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    if b == 0.0 || !a.is_finite() || !b.is_finite() {
        return None;
    }
    Some(a / b)
}

/// `a[i] / b[i]` for every i both have (samples taken side by side, in
/// pairs); pairs with a zero `b` are left out.
pub fn paired_ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).filter_map(|(x, y)| ratio(*x, *y)).collect()
}

/// `a[i] + b[i]` for every i both have (two steps of the same round).
pub fn paired_sums(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// The confidence level of the intervals: 95 %, two-sided.
pub const CONFIDENCE: f64 = 0.95;

/// The `p`-quantile of Student's t distribution with `df` degrees of
/// freedom; `None` unless 0 < p < 1 and df > 0.
pub fn t_quantile(p: f64, df: f64) -> Option<f64> {
    if !(p > 0.0 && p < 1.0) {
        return None;
    }
    Some(StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(p))
}

/// An estimate from n pairs and its confidence interval (`CONFIDENCE`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The pairs it is computed from.
    pub n: usize,
    pub estimate: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    /// How far the farther end lies from the estimate, as a fraction of
    /// it: the interval is "± this" around the estimate.
    pub fn relative_half_width(&self) -> f64 {
        (self.hi - self.estimate).max(self.estimate - self.lo) / self.estimate.abs()
    }

    /// Whether both ends lie within `fraction` of the estimate (0.01:
    /// "within ±1 %").
    pub fn within(&self, fraction: f64) -> bool {
        self.relative_half_width() <= fraction
    }

    /// Whether `x` lies outside the interval: for a ratio, `excludes(1.0)`
    /// is a difference the run resolves; for a difference, `excludes(0.0)`.
    pub fn excludes(&self, x: f64) -> bool {
        x < self.lo || x > self.hi
    }
}

/// The mean of `d` and the half width of its t interval; `None` for fewer
/// than two values.
fn t_interval(d: &[f64]) -> Option<(usize, f64, f64)> {
    let n = d.len();
    if n < 2 {
        return None;
    }
    let mean = d.iter().sum::<f64>() / n as f64;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = t_quantile(0.5 + CONFIDENCE / 2.0, (n - 1) as f64)?;
    Some((n, mean, t * (var / n as f64).sqrt()))
}

/// The ratio `with / without` of paired samples: the geometric mean of the
/// pair ratios and its paired t interval on the log ratios. Only the pairs
/// (the shorter list's length) count, and only those with both values
/// above zero; `None` for fewer than two.
pub fn paired_ratio_interval(with: &[f64], without: &[f64]) -> Option<Interval> {
    let d: Vec<f64> = with
        .iter()
        .zip(without)
        .filter(|(w, wo)| **w > 0.0 && **wo > 0.0)
        .map(|(w, wo)| (w / wo).ln())
        .collect();
    let (n, mean, half) = t_interval(&d)?;
    Some(Interval {
        n,
        estimate: mean.exp(),
        lo: (mean - half).exp(),
        hi: (mean + half).exp(),
    })
}

/// The mean difference `with − without` of paired samples, in their unit,
/// and its paired t interval. Only the pairs count; `None` for fewer than
/// two.
pub fn paired_difference_interval(with: &[f64], without: &[f64]) -> Option<Interval> {
    let d: Vec<f64> = with.iter().zip(without).map(|(w, wo)| w - wo).collect();
    let (n, mean, half) = t_interval(&d)?;
    Some(Interval {
        n,
        estimate: mean,
        lo: mean - half,
        hi: mean + half,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(Sorted::new(&[3.0, 1.0, 2.0]).unwrap().median(), Some(2.0));
        assert_eq!(
            Sorted::new(&[4.0, 1.0, 3.0, 2.0]).unwrap().median(),
            Some(2.5)
        );
        assert_eq!(Sorted::new(&[7.0]).unwrap().median(), Some(7.0));
    }

    #[test]
    fn one_outlier_does_not_move_the_median() {
        let v = [10.0, 11.0, 12.0, 13.0, 1000.0];
        let s = Summary::of(&v).unwrap();
        assert_eq!(s.median, 12.0);
        assert_eq!(s.max, 1000.0);
    }

    #[test]
    fn no_samples_no_figures() {
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Sorted::new(&[]).unwrap().median(), None);
    }

    #[test]
    fn nan_is_refused() {
        assert_eq!(Sorted::new(&[1.0, f64::NAN]), None);
        assert_eq!(Summary::of(&[f64::NAN]), None);
    }

    #[test]
    fn percentiles_interpolate_between_ranks() {
        // 1..=10: rank of p10 is 0.9 → 1 + 0.9; rank of p90 is 8.1 → 9.1.
        let s = Sorted::new(&[10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]).unwrap();
        assert!(close(s.percentile(10.0).unwrap(), 1.9));
        assert!(close(s.percentile(90.0).unwrap(), 9.1));
        assert_eq!(s.percentile(0.0), Some(1.0));
        assert_eq!(s.percentile(100.0), Some(10.0));
        assert_eq!(s.percentile(50.0), Some(5.5));
        assert_eq!(s.percentile(-1.0), None);
        assert_eq!(s.percentile(100.5), None);
    }

    #[test]
    fn percentiles_of_thirty_samples() {
        // The time-to-effect figure has 30 samples: p90 lies between the
        // 27th and 28th smallest (rank 26.1).
        let v: Vec<f64> = (1..=30).map(f64::from).collect();
        let s = Summary::of(&v).unwrap();
        assert_eq!(s.n, 30);
        assert_eq!(s.median, 15.5);
        assert!(close(s.p90, 27.1));
        assert!(close(s.p10, 3.9));
        assert_eq!((s.min, s.max), (1.0, 30.0));
    }

    #[test]
    fn percentiles_of_one_value() {
        let s = Summary::of(&[42.0]).unwrap();
        assert_eq!(
            (s.p10, s.median, s.p90, s.min, s.max),
            (42.0, 42.0, 42.0, 42.0, 42.0)
        );
    }

    #[test]
    fn a_change_of_unit_keeps_the_count() {
        let s = Summary::of(&[1000.0, 2000.0, 3000.0])
            .unwrap()
            .in_units_of(1000.0);
        assert_eq!(s.n, 3);
        assert_eq!((s.min, s.median, s.max), (1.0, 2.0, 3.0));
        assert!(close(s.p10, 1.2));
    }

    #[test]
    fn ratios() {
        assert_eq!(ratio(3.0, 2.0), Some(1.5));
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(ratio(f64::INFINITY, 1.0), None);
    }

    #[test]
    fn paired_figures() {
        assert_eq!(
            paired_ratios(&[2.0, 3.0, 4.0], &[1.0, 0.0, 2.0]),
            vec![2.0, 2.0]
        );
        // Unequal lengths: only the pairs.
        assert_eq!(
            paired_sums(&[1.0, 2.0, 3.0], &[10.0, 20.0]),
            vec![11.0, 22.0]
        );
    }

    #[test]
    fn t_quantiles_of_the_tables() {
        // Two-sided 95 %: the 0.975 quantile (tables to 4 decimals).
        for (df, t) in [
            (1.0, 12.7062),
            (2.0, 4.3027),
            (4.0, 2.7764),
            (9.0, 2.2622),
            (29.0, 2.0452),
            (100.0, 1.9840),
        ] {
            let q = t_quantile(0.975, df).unwrap();
            assert!((q - t).abs() < 5e-5, "t(0.975, {df}) = {q}, not {t}");
        }
        // Symmetric, and 0 at the median.
        assert!((t_quantile(0.025, 9.0).unwrap() + 2.2622).abs() < 5e-5);
        assert!(t_quantile(0.5, 9.0).unwrap().abs() < 1e-12);
        assert_eq!(t_quantile(0.975, 0.0), None);
        assert_eq!(t_quantile(1.0, 9.0), None);
        assert_eq!(t_quantile(0.0, 9.0), None);
    }

    // t(0.975, 2), to more decimals than the tables.
    const T_975_2: f64 = 4.302_652_729_911_275;

    #[test]
    fn ratio_interval_by_hand() {
        // Pair ratios e^0.1, e^0.2, e^0.3: log ratios 0.1, 0.2, 0.3, mean
        // 0.2, sd 0.1; half width t(0.975, 2) · 0.1 / √3.
        let without = [100.0, 200.0, 50.0];
        let with = [
            100.0 * 0.1f64.exp(),
            200.0 * 0.2f64.exp(),
            50.0 * 0.3f64.exp(),
        ];
        let i = paired_ratio_interval(&with, &without).unwrap();
        let half = T_975_2 * 0.1 / 3f64.sqrt();
        assert_eq!(i.n, 3);
        assert!((i.estimate - 0.2f64.exp()).abs() < 1e-6);
        assert!((i.lo - (0.2 - half).exp()).abs() < 1e-6);
        assert!((i.hi - (0.2 + half).exp()).abs() < 1e-6);
        // exp(0.2 ± 0.24841): 0.9527 to 1.5658.
        assert!((i.lo - 0.9527).abs() < 1e-4 && (i.hi - 1.5658).abs() < 1e-4);
        assert!(!i.excludes(1.0));
    }

    #[test]
    fn difference_interval_by_hand() {
        // Differences 2, 4, 6: mean 4, sd 2, half width
        // 4.3027 · 2 / √3 = 4.9683.
        let i = paired_difference_interval(&[12.0, 14.0, 16.0], &[10.0, 10.0, 10.0]).unwrap();
        assert_eq!(i.n, 3);
        assert!((i.estimate - 4.0).abs() < 1e-12);
        let half = T_975_2 * 2.0 / 3f64.sqrt();
        assert!((i.lo - (4.0 - half)).abs() < 1e-6);
        assert!((i.hi - (4.0 + half)).abs() < 1e-6);
        assert!((i.hi - 8.9683).abs() < 1e-4);
        assert!(!i.excludes(0.0));
    }

    #[test]
    fn constant_ratios_give_a_zero_width_interval() {
        let i = paired_ratio_interval(&[2.0, 4.0, 6.0, 8.0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(i.n, 4);
        assert!((i.estimate - 2.0).abs() < 1e-12);
        assert!((i.hi - i.lo).abs() < 1e-12);
        assert!(i.within(1e-9));
        assert!(i.excludes(1.0));
        let d = paired_difference_interval(&[5.0, 6.0, 7.0], &[4.0, 5.0, 6.0]).unwrap();
        assert!((d.estimate - 1.0).abs() < 1e-12 && (d.hi - d.lo).abs() < 1e-12);
    }

    #[test]
    fn fewer_than_two_pairs_give_no_interval() {
        assert_eq!(paired_ratio_interval(&[], &[]), None);
        assert_eq!(paired_ratio_interval(&[2.0], &[1.0]), None);
        assert_eq!(paired_difference_interval(&[2.0], &[1.0]), None);
        // Two values on one side, one on the other: one pair.
        assert_eq!(paired_ratio_interval(&[2.0, 3.0], &[1.0]), None);
        // A pair with a zero has no log ratio.
        assert_eq!(paired_ratio_interval(&[2.0, 3.0], &[1.0, 0.0]), None);
    }

    #[test]
    fn unequal_lengths_use_only_the_pairs() {
        let (with, without) = ([12.0, 14.0, 16.0, 1000.0, 5.0], [10.0, 10.0, 10.0]);
        assert_eq!(
            paired_difference_interval(&with, &without),
            paired_difference_interval(&with[..3], &without)
        );
        assert_eq!(
            paired_ratio_interval(&without, &with),
            paired_ratio_interval(&without, &with[..3])
        );
        assert_eq!(paired_ratio_interval(&with, &without).unwrap().n, 3);
    }

    #[test]
    fn within_one_percent_and_resolving() {
        let i = |estimate, lo, hi| Interval {
            n: 10,
            estimate,
            lo,
            hi,
        };
        // ±0.5 % around 1.02: within ±1 %, excludes 1.
        let a = i(1.02, 1.0149, 1.0251);
        assert!(a.within(0.01) && a.excludes(1.0));
        assert!((a.relative_half_width() - 0.0051 / 1.02).abs() < 1e-12);
        // The upper end 1.2 % above: not within ±1 %, though the lower is.
        let b = i(1.0, 0.995, 1.012);
        assert!(!b.within(0.01) && b.within(0.0125));
        assert!((b.relative_half_width() - 0.012).abs() < 1e-12);
        // The lower end 1.5 % below.
        assert!(!i(1.0, 0.985, 1.001).within(0.01));
        // Includes 1: within ±1 % but not resolved.
        let c = i(1.003, 0.996, 1.01);
        assert!(c.within(0.01) && !c.excludes(1.0));
        // Below 1 resolves too.
        assert!(i(0.98, 0.97, 0.99).excludes(1.0));
        // A geometric interval exp(d̄ ± h) is wider above: h = ln 1.009 is
        // within ±1 %, h = ln 1.011 not.
        let g = |h: f64| i(1.0, (-h).exp(), h.exp());
        assert!(g(1.009f64.ln()).within(0.01));
        assert!(!g(1.011f64.ln()).within(0.01));
    }

    #[test]
    fn a_noisy_ratio_narrows_with_more_pairs() {
        // Ratios alternating 1.01 and 1.03 around 1.02: the interval shrinks
        // as 1/√n (t falls too).
        let make = |n: usize| {
            let with: Vec<f64> = (0..n)
                .map(|i| if i % 2 == 0 { 101.0 } else { 103.0 })
                .collect();
            paired_ratio_interval(&with, &vec![100.0; n]).unwrap()
        };
        let (few, many) = (make(4), make(64));
        assert!(few.relative_half_width() > 4.0 * many.relative_half_width());
        assert!(!few.within(0.01) && many.within(0.01));
        assert!(many.excludes(1.0));
    }
}
