//! BENCHMARKS.svg: three panels drawn with plotters' SVG backend: the
//! distribution of the time to effect, the install cost against the
//! original way, and the with/without ratios.

use crate::figures::{Figures, AMDGPU_DIR};
use crate::stats::Summary;
use plotters::prelude::*;

type Error = Box<dyn std::error::Error>;

const WIDTH: u32 = 900;
const HEIGHT: u32 = 1020;
const FONT: &str = "sans-serif";
const BAR: RGBColor = RGBColor(70, 110, 170);
const ORIGINAL: RGBColor = RGBColor(190, 90, 60);
const REBOOT: RGBColor = RGBColor(230, 170, 140);
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
                "Time to effect after amdgpu loads (n={}): median {:.0} µs, p90 {:.0} µs, max {:.0} µs",
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
        .x_desc("µs from amdgpu going live to the write (module's own measure)")
        .y_desc("reloads")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    chart.draw_series(
        bins.iter()
            .filter(|b| b.2 > 0)
            .map(|&(lo, hi, c)| Rectangle::new([(lo, 0), (hi, c as u32)], BAR.filled())),
    )?;
    for (x, label) in [(e.median, "median"), (e.p90, "p90")] {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, 0), (x, top)],
            GREY.stroke_width(2),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            label.to_string(),
            (x, top),
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
    let reboot = f.boot_floor.map(|b| b.median).unwrap_or(0.0);
    let right = (i.dkms.max.max(i.amdgpu.max + reboot)) * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(
            match i.ratio_with_reboot {
                Some(rr) => format!(
                    "Install cost: rebuilding {name} = {:.1}× the DKMS install; {:.1}× with the reboot",
                    i.ratio, rr
                ),
                None => format!("Install cost: rebuilding {name} = {:.1}× the DKMS install", i.ratio),
            },
            (FONT, 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(10)
        .build_cartesian_2d(0.0..right, 0.0..2.0)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("seconds (bars: medians; black line: min to max)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    // Top: the module; bottom: the original way, its reboot stacked on.
    let rows = [
        (
            1.0,
            format!(
                "rdna1_fg: dkms build + install, {:.1} s (n={})",
                i.dkms.median, i.dkms.n
            ),
            i.dkms,
            BAR,
        ),
        (
            0.0,
            match f.boot_floor {
                Some(b) => format!(
                    "original: rebuild {name}, {:.1} s (n={}), + reboot, at least {:.1} s (n={})",
                    i.amdgpu.median, i.amdgpu.n, b.median, b.n
                ),
                None => format!(
                    "original: rebuild {name}, {:.1} s (n={})",
                    i.amdgpu.median, i.amdgpu.n
                ),
            },
            i.amdgpu,
            ORIGINAL,
        ),
    ];
    for (y, label, s, color) in &rows {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y + 0.2), (s.median, y + 0.7)],
            color.filled(),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(s.min, y + 0.45), (s.max, y + 0.45)],
            BLACK.stroke_width(2),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (right * 0.01, y + 0.95),
            (FONT, 14).into_font(),
        )))?;
    }
    if reboot > 0.0 {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(i.amdgpu.median, 0.2), (i.amdgpu.median + reboot, 0.7)],
            REBOOT.filled(),
        )))?;
    }
    Ok(())
}

fn ratio_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    f: &Figures,
) -> Result<(), Error>
where
    DB::ErrorType: 'static,
{
    let rows: Vec<(&str, f64, Option<Summary>)> = [
        ("amdgpu load time, with / without rdna1_fg", f.amdgpu_load),
        ("properties reads per second, with / without", f.readers),
    ]
    .into_iter()
    .filter_map(|(l, w)| w.map(|w| (l, w.ratio, w.paired)))
    .collect();
    if rows.is_empty() {
        return not_measured(area, "Ratios with / without the module");
    }
    let mut lo = 0.9f64;
    let mut hi = 1.1f64;
    for (_, r, p) in &rows {
        lo = lo.min(*r);
        hi = hi.max(*r);
        if let Some(p) = p {
            lo = lo.min(p.p10);
            hi = hi.max(p.p90);
        }
    }
    let pad = (hi - lo) * 0.08;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Cost to amdgpu and to readers (1 = no difference)",
            (FONT, 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(10)
        .build_cartesian_2d((lo - pad)..(hi + pad), 0.0..rows.len() as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("ratio (dot: ratio of medians; line: p10 to p90 of the ratios of the pairs measured next to each other)")
        .x_label_formatter(&|x| format!("{x:.2}"))
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(1.0, 0.0), (1.0, rows.len() as f64)],
        GREY.stroke_width(1),
    )))?;
    for (k, (label, r, p)) in rows.iter().enumerate() {
        let y = (rows.len() - 1 - k) as f64 + 0.45;
        if let Some(p) = p {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(p.p10, y), (p.p90, y)],
                BLACK.stroke_width(2),
            )))?;
        }
        chart.draw_series(std::iter::once(Circle::new((*r, y), 6, BAR.filled())))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{label}: {r:.3}"),
            (lo - pad * 0.8, y + 0.4),
            (FONT, 14).into_font(),
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
}
