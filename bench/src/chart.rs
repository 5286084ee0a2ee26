//! BENCHMARKS.svg: three panels drawn with plotters' SVG backend: the
//! distribution of the time to effect, the install cost against the
//! original way (CPU time and wall time), and the with/without ratios with
//! their 95 % intervals (under icount, and the plain-TCG reference).

use crate::figures::{Figures, WithWithout, AMDGPU_DIR};
use crate::stats::{Interval, Summary};
use plotters::prelude::*;

type Error = Box<dyn std::error::Error>;

const WIDTH: u32 = 900;
const HEIGHT: u32 = 1020;
const FONT: &str = "sans-serif";
const BAR: RGBColor = RGBColor(70, 110, 170);
const ORIGINAL: RGBColor = RGBColor(190, 90, 60);
const BAR_LIGHT: RGBColor = RGBColor(160, 185, 220);
const ORIGINAL_LIGHT: RGBColor = RGBColor(230, 170, 140);
const GREY: RGBColor = RGBColor(120, 120, 120);

/// Counts of `values` in `bins` equal bins from their min to their max.
pub fn histogram(values: &[f64], bins: usize) -> Vec<(f64, f64, usize)> {
    let (Some(lo), Some(hi)) = (
        values.iter().copied().reduce(f64::min),
        values.iter().copied().reduce(f64::max),
    ) else {
        return Vec::new();
    };
    let bins = bins.max(1);
    let width = if hi > lo {
        (hi - lo) / bins as f64
    } else {
        1.0
    };
    let mut counts = vec![0usize; bins];
    for v in values {
        let i = (((v - lo) / width) as usize).min(bins - 1);
        counts[i] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, c)| (lo + i as f64 * width, lo + (i + 1) as f64 * width, c))
        .collect()
}

pub fn write(path: &std::path::Path, f: &Figures, effect_us: &[f64]) -> Result<(), Error> {
    let root = SVGBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((3, 1));
    effect_panel(&panels[0], f.effect, effect_us)?;
    install_panel(&panels[1], f)?;
    ratio_panel(&panels[2], f)?;
    root.present()?;
    Ok(())
}

fn not_measured<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
) -> Result<(), Error>
where
    DB::ErrorType: 'static,
{
    area.draw(&Text::new(
        format!("{title}: not measured in this run"),
        (20, 30),
        (FONT, 18).into_font(),
    ))?;
    Ok(())
}

fn effect_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    effect: Option<Summary>,
    values: &[f64],
) -> Result<(), Error>
where
    DB::ErrorType: 'static,
{
    let Some(e) = effect else {
        return not_measured(area, "Time to effect");
    };
    let bins = histogram(values, 15);
    let highest = bins.iter().map(|b| b.2).max().unwrap_or(1) as u32;
    let top = highest + 1 + highest / 8;
    let span = (e.max - e.min).max(1.0);
    let (x0, x1) = ((e.min - span * 0.05).max(0.0), e.max + span * 0.05);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "Time to effect after amdgpu loads (n={}): median {:.0}, p90 {:.0}, max {:.0} guest µs",
                e.n, e.median, e.p90, e.max
            ),
            (FONT, 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(x0..x1, 0u32..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .disable_y_mesh()
        .x_desc("guest µs (icount: guest time) from amdgpu going live to the write")
        .y_desc("reloads")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    chart.draw_series(
        bins.iter()
            .filter(|b| b.2 > 0)
            .map(|&(lo, hi, c)| Rectangle::new([(lo, 0), (hi, c as u32)], BAR.filled())),
    )?;
    // The two labels at different heights: the median and p90 can be
    // close enough to overlap.
    for (x, label, y) in [(e.median, "median", top), (e.p90, "p90", top - top / 8)] {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, 0), (x, top)],
            GREY.stroke_width(2),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            label.to_string(),
            (x, y),
            (FONT, 14).into_font(),
        )))?;
    }
    Ok(())
}

fn install_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    f: &Figures,
) -> Result<(), Error>
where
    DB::ErrorType: 'static,
{
    let Some(i) = f.install else {
        return not_measured(area, "Install cost");
    };
    let name = if f.rebuilt_dir == AMDGPU_DIR {
        "amdgpu".to_string()
    } else {
        f.rebuilt_dir.clone()
    };
    // Top to bottom: the module in CPU time and wall time, then the
    // original way; the CPU rows only when measured.
    let rows: Vec<(String, Summary, RGBColor)> = [
        ("rdna1_fg: dkms build + install, CPU time", i.dkms.cpu, BAR),
        (
            "rdna1_fg: dkms build + install, wall time",
            Some(i.dkms.wall),
            BAR_LIGHT,
        ),
        (
            &format!("original: rebuild {name}, CPU time") as &str,
            i.amdgpu.cpu,
            ORIGINAL,
        ),
        (
            &format!("original: rebuild {name}, wall time"),
            Some(i.amdgpu.wall),
            ORIGINAL_LIGHT,
        ),
    ]
    .into_iter()
    .filter_map(|(label, s, color)| {
        s.map(|s| (format!("{label}: {:.1} s (n={})", s.median, s.n), s, color))
    })
    .collect();
    let right = rows.iter().map(|r| r.1.max).fold(1.0, f64::max) * 1.1;
    let caption = match i.cpu_ratio {
        Some(c) => format!(
            "Install cost: rebuilding {name} = {:.1}× the DKMS install in CPU time ({:.1}× in wall time)",
            c, i.wall_ratio
        ),
        None => format!(
            "Install cost: rebuilding {name} = {:.1}× the DKMS install in wall time",
            i.wall_ratio
        ),
    };
    let height = rows.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(10)
        .build_cartesian_2d(0.0..right, 0.0..height)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("host seconds (bars: medians; black line: min to max)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    for (k, (label, s, color)) in rows.iter().enumerate() {
        let y = height - 1.0 - k as f64;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y + 0.15), (s.median, y + 0.6)],
            color.filled(),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(s.min, y + 0.375), (s.max, y + 0.375)],
            BLACK.stroke_width(2),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (right * 0.01, y + 0.95),
            (FONT, 14).into_font(),
        )))?;
    }
    Ok(())
}

/// The x range of ratio intervals, 1 included, with a margin.
pub fn ratio_range(intervals: &[Interval]) -> (f64, f64) {
    let lo = intervals.iter().map(|i| i.lo).fold(1.0, f64::min);
    let hi = intervals.iter().map(|i| i.hi).fold(1.0, f64::max);
    let pad = ((hi - lo) * 0.1).max(1e-4);
    (lo - pad, hi + pad)
}

/// Decimals enough to tell apart the ticks of a range `span` wide.
pub fn ratio_decimals(span: f64) -> usize {
    if span < 0.02 {
        4
    } else if span < 0.2 {
        3
    } else {
        2
    }
}

fn ratio_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    f: &Figures,
) -> Result<(), Error>
where
    DB::ErrorType: 'static,
{
    let halves = area.split_evenly((1, 2));
    ratio_half(
        &halves[0],
        "Under icount (guest time)",
        &[("amdgpu load", f.amdgpu_load), ("time per read", f.readers)],
    )?;
    ratio_half(
        &halves[1],
        "Plain TCG wall time (reference)",
        &[
            ("amdgpu load", f.amdgpu_load_wall),
            ("time per read", f.readers_wall),
        ],
    )
}

/// With / without ratios as points with their 95 % intervals as whiskers,
/// and a line at 1.
fn ratio_half<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    figures: &[(&str, Option<WithWithout>)],
) -> Result<(), Error>
where
    DB::ErrorType: 'static,
{
    let rows: Vec<(&str, Interval)> = figures
        .iter()
        .filter_map(|(l, w)| Some((*l, w.as_ref()?.ratio?)))
        .collect();
    if rows.is_empty() {
        return not_measured(area, title);
    }
    let intervals: Vec<Interval> = rows.iter().map(|r| r.1).collect();
    let (x0, x1) = ratio_range(&intervals);
    let d = ratio_decimals(x1 - x0);
    let height = rows.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{title}: with / without"), (FONT, 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(10)
        .build_cartesian_2d(x0..x1, 0.0..height)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(5)
        .x_desc("ratio (dot: geometric mean of the pair ratios; whiskers: 95 % interval; red: 1)")
        .x_label_formatter(&|x| format!("{x:.d$}"))
        .draw()?;
    // 1: no difference.
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(1.0, 0.0), (1.0, height)],
        ORIGINAL.stroke_width(2),
    )))?;
    let cap = 0.08;
    for (k, (label, i)) in rows.iter().enumerate() {
        let y = height - 1.0 - k as f64 + 0.4;
        for segment in [
            vec![(i.lo, y), (i.hi, y)],
            vec![(i.lo, y - cap), (i.lo, y + cap)],
            vec![(i.hi, y - cap), (i.hi, y + cap)],
        ] {
            chart.draw_series(std::iter::once(PathElement::new(
                segment,
                BLACK.stroke_width(2),
            )))?;
        }
        chart.draw_series(std::iter::once(Circle::new(
            (i.estimate, y),
            5,
            BAR.filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format!(
                "{label}: {:.4} [{:.4}, {:.4}], n={}",
                i.estimate, i.lo, i.hi, i.n
            ),
            (x0 + (x1 - x0) * 0.02, y + 0.45),
            (FONT, 13).into_font(),
        )))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins() {
        let h = histogram(&[0.0, 1.0, 2.0, 9.0, 10.0], 5);
        assert_eq!(h.len(), 5);
        assert_eq!(
            h.iter().map(|b| b.2).collect::<Vec<_>>(),
            vec![2, 1, 0, 0, 2]
        );
        assert_eq!((h[0].0, h[4].1), (0.0, 10.0));
        assert!(histogram(&[], 5).is_empty());
        // All equal: one full bin.
        assert_eq!(histogram(&[3.0, 3.0], 4)[0].2, 2);
    }

    #[test]
    fn ratio_axes_include_one() {
        let i = |lo, estimate, hi| Interval {
            n: 10,
            estimate,
            lo,
            hi,
        };
        let (a, b) = ratio_range(&[i(1.008, 1.0083, 1.0086)]);
        assert!(a < 1.0 && b > 1.0086);
        let (a, b) = ratio_range(&[i(0.8, 0.9, 0.95), i(1.1, 1.2, 1.3)]);
        assert!(a < 0.8 && b > 1.3);
        assert_eq!(ratio_decimals(0.01), 4);
        assert_eq!(ratio_decimals(0.1), 3);
        assert_eq!(ratio_decimals(0.5), 2);
    }
}
