//! The scaling curve (cost per delivery against the number of followers)
//! drawn from `results.json` as an SVG, next to the 1.5 × line it is held
//! to.

use plotters::prelude::*;

/// Draws `fanout_scaling.svg` beside `results.json` from its
/// `fanout_scaling_*` records; returns where.
pub fn scaling(results: &[serde_json::Value]) -> Option<std::path::PathBuf> {
    let mut points: Vec<(f64, f64)> = results
        .iter()
        .filter_map(|record| {
            let followers = record["name"].as_str()?.strip_prefix("fanout_scaling_")?;
            Some((followers.parse().ok()?, record["value"].as_f64()?))
        })
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (first, last) = (*points.first()?, *points.last()?);
    let limit = first.1 * 1.5;
    let top = points.iter().map(|p| p.1).fold(limit, f64::max) * 1.2;
    let path = crate::harness::results_dir().join("fanout_scaling.svg");
    let root = SVGBackend::new(&path, (720, 420)).into_drawing_area();
    root.fill(&WHITE).ok()?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Cost per delivery by followers", ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((first.0 * 0.8..last.0 * 1.25).log_scale(), 0.0..top)
        .ok()?;
    chart
        .configure_mesh()
        .x_desc("followers (log scale)")
        .y_desc("microseconds per delivery (wall)")
        .draw()
        .ok()?;
    chart
        .draw_series(LineSeries::new(points.clone(), BLUE.stroke_width(2)))
        .ok()?
        .label("measured")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart
        .draw_series(
            points
                .iter()
                .map(|point| Circle::new(*point, 4, BLUE.filled())),
        )
        .ok()?;
    chart
        .draw_series(LineSeries::new(
            vec![(first.0 * 0.8, limit), (last.0 * 1.25, limit)],
            RED.stroke_width(1),
        ))
        .ok()?
        .label("1.5 x the cost at the fewest followers (target)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .ok()?;
    root.present().ok()?;
    drop(chart);
    drop(root);
    Some(path)
}
