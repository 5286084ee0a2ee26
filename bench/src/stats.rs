//! Statistics of the raw samples: median, percentiles, spread and ratios.
//!
//! Percentiles interpolate linearly between the two nearest ranks (the
//! "type 7" definition of Hyndman and Fan, NumPy's default): the p-th
//! percentile of n sorted values is at rank `p / 100 * (n - 1)`. The median
//! is the 50th percentile (the mean of the two middle values for an even n).

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

/// The ratio of the medians of `a` and `b`.
pub fn ratio_of_medians(a: &[f64], b: &[f64]) -> Option<f64> {
    ratio(Summary::of(a)?.median, Summary::of(b)?.median)
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
        assert_eq!(ratio_of_medians(&[], &[1.0]), None);
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
        assert_eq!(
            ratio_of_medians(&[10.0, 30.0, 20.0], &[5.0, 10.0, 15.0]),
            Some(2.0)
        );
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
}
