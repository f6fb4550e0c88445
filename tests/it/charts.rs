//! plotters renders to SVG and PNG with the embedded font (no system fonts).

use sstsim::report::charts::{LineChart, Series};

fn chart() -> LineChart {
    LineChart {
        title: "Reclaim latency vs session-expires".into(),
        x_label: "session-expires (s)".into(),
        y_label: "p95 reclaim latency (s)".into(),
        notes: vec!["Error bars: 95% confidence half-widths.".into()],
        log_x: false,
        x_categories: Vec::new(),
        series: vec![
            Series {
                name: "originate".into(),
                points: vec![(90.0, 60.0), (600.0, 568.0), (1800.0, 1768.0)],
                errors: vec![5.0, 20.0, f64::NAN],
                labels: vec!["90".into(), "600".into(), "1800".into()],
                dashed: true,
                ..Default::default()
            },
            Series {
                name: "accept".into(),
                points: vec![(90.0, 70.0), (600.0, 580.0), (1800.0, 1790.0)],
                ..Default::default()
            },
        ],
    }
}

#[test]
fn renders_svg_with_title_and_png_with_signature() {
    let dir = std::env::temp_dir().join(format!("sstsim-charts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (svg, png) = (dir.join("c.svg"), dir.join("c.png"));
    chart().render(&svg).unwrap();
    chart().render(&png).unwrap();

    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.len() > 1000, "SVG too small: {} bytes", text.len());
    assert!(text.trim_start().starts_with("<svg"), "no SVG root element");
    assert!(text.trim_end().ends_with("</svg>"), "SVG not closed");
    assert!(text.contains("Reclaim latency vs session-expires"));
    assert!(text.contains("session-expires (s)"));
    assert!(text.contains("originate"));

    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.len() > 1000, "PNG too small: {} bytes", bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    // IHDR: width and height as big-endian u32 at bytes 16..24.
    assert_eq!(&bytes[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 1000);
    assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), 500);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unknown_extension_and_empty_data_are_errors() {
    let dir = std::env::temp_dir();
    assert!(chart().render(&dir.join("x.gif")).is_err());
    let empty = LineChart {
        series: vec![],
        ..chart()
    };
    assert!(empty.render(&dir.join("sstsim-empty.svg")).is_err());
}

#[test]
fn a_categorical_axis_names_its_values_and_a_long_legend_gets_room() {
    // Three modes on x, fourteen two-line legend entries: each entry takes
    // 2 × 16 + 4 = 36 px, 504 px in all, more than the 444 px below the
    // legend's top margin of a 500 px canvas, so the canvas grows.
    let series = (0..14)
        .map(|i| Series {
            name: format!("refresher_preference=dont_care, side=callee {i}"),
            points: vec![(0.0, 10.0 * i as f64), (1.0, 20.0), (2.0, 30.0)],
            ..Default::default()
        })
        .collect();
    let c = LineChart {
        x_label: "session_timers".into(),
        x_categories: vec!["accept".into(), "originate".into(), "refuse".into()],
        series,
        ..chart()
    };
    let dir = std::env::temp_dir().join(format!("sstsim-cat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (svg, png) = (dir.join("c.svg"), dir.join("c.png"));
    c.render(&svg).unwrap();
    c.render(&png).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    for name in ["accept", "originate", "refuse", "side=callee 13"] {
        assert!(text.contains(&format!(">\n{name}\n</text>")), "{name}");
    }
    let bytes = std::fs::read(&png).unwrap();
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert!(height > 500, "{height}");
    std::fs::remove_dir_all(&dir).ok();
}
