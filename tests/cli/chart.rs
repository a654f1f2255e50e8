//! The timeline chart (`run --for … -o chart.svg`) looked at in headless
//! Chromium (issue 13 §3): every event (fault starting or ending, action)
//! is a labelled line, no two pieces of text overlap, and there is a row
//! per entry point and per service that changed state. The charts are
//! those of `run --for` with several faults at once, and of every
//! scenario in `scenarios/` (recoveries, `for` windows, `set`, surges),
//! drawn by the library as `run --for` draws them.

use serde_json::Value;
use whatif::render::chart::{Chart, write_chart};
use whatif::render::markers::{self, Marker};
use whatif::sim::timeline::{Options, simulate};
use whatif::text::duration;

use crate::browser::{chromium_or_skip, probe_result};
use crate::support::*;

/// Reads every chart on the page: each text's box, each event's label,
/// the rows.
const PROBE: &str = r#"
window.addEventListener("load", function () {
  var out = [];
  document.querySelectorAll("div.chart").forEach(function (div) {
    var svg = div.querySelector("svg");
    var f = svg.getBoundingClientRect();
    var texts = [];
    svg.querySelectorAll("text").forEach(function (t) {
      var r = t.getBoundingClientRect();
      texts.push({ text: t.textContent, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom });
    });
    var events = Array.prototype.map.call(svg.querySelectorAll("g.event"), function (g) {
      var t = g.querySelector("text");
      return t ? t.textContent : null;
    });
    out.push({
      name: div.getAttribute("data-name"),
      frame: { x0: f.left, y0: f.top, x1: f.right, y1: f.bottom },
      texts: texts,
      events: events,
      rows: svg.querySelectorAll("g.row").length,
      changes: svg.querySelectorAll("g.change").length
    });
  });
  var pre = document.createElement("pre");
  pre.id = "test-result";
  // --dump-dom writes text with <, > and & escaped: keep them out.
  pre.textContent = JSON.stringify(out).replace(/[<>&\u00a0]/g, function (c) {
    return "\\u" + ("000" + c.charCodeAt(0).toString(16)).slice(-4);
  });
  document.body.appendChild(pre);
});
"#;

/// One chart to look at: its SVG and the event labels it must show.
struct Case {
    name: String,
    svg: String,
    events: Vec<String>,
}

fn label(m: &Marker) -> String {
    format!("{} {}", duration(m.t_s), m.text)
}

/// `run --for` through the CLI; the events are the faults, at 0s.
fn cli_case(args: &[&str], faults: &[&str]) -> Case {
    let dir = temp_dir("browser-chart-cli");
    let file = dir.path().join("chart.svg");
    Whatif::new()
        .args(args)
        .args(["-o", file.to_str().unwrap()])
        .code(0);
    Case {
        name: args.join(" "),
        svg: std::fs::read_to_string(&file).unwrap(),
        events: faults.iter().map(|f| format!("0s {f}")).collect(),
    }
}

/// A scenario's timeline charted by the library, as `run --for` charts.
fn scenario_case(path: &std::path::Path) -> Case {
    let sc = whatif::scenario::load_scenario(path).unwrap();
    let model = &sc.loaded.model;
    let options = Options {
        duration_s: sc.duration_s,
        step_s: 1.0,
    };
    let tl = simulate(model, &sc.events, options);
    let marks = markers::from_events(model, &sc.events, sc.duration_s);
    let mut svg = Vec::new();
    write_chart(
        &mut svg,
        &Chart {
            model,
            title: &sc.title,
            timeline: &tl,
            markers: &marks,
        },
    )
    .unwrap();
    Case {
        name: path.display().to_string(),
        svg: String::from_utf8(svg).unwrap(),
        events: marks.iter().map(label).collect(),
    }
}

#[derive(Debug)]
struct TextBox {
    text: String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

fn boxes(v: &Value) -> Vec<TextBox> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| TextBox {
            text: t["text"].as_str().unwrap().to_owned(),
            x0: t["x0"].as_f64().unwrap(),
            y0: t["y0"].as_f64().unwrap(),
            x1: t["x1"].as_f64().unwrap(),
            y1: t["y1"].as_f64().unwrap(),
        })
        .collect()
}

/// Whether two text boxes overlap by more than a pixel each way (glyph
/// boxes include the line's ascent and descent, so neighbours may touch).
fn overlap(a: &TextBox, b: &TextBox) -> bool {
    a.x0 + 1.0 < b.x1 && b.x0 + 1.0 < a.x1 && a.y0 + 1.0 < b.y1 && b.y0 + 1.0 < a.y1
}

#[test]
fn timeline_charts_label_every_event_and_no_text_overlaps() {
    let Some(browser) = chromium_or_skip("timeline_charts_label_every_event_and_no_text_overlaps")
    else {
        return;
    };
    let mut cases = vec![
        cli_case(
            &[
                "run",
                "examples/online-shop.yaml",
                "--down",
                "catalog-db",
                "--slow",
                "search-index=x10",
                "--errors",
                "payments=30%",
                "--down",
                "zone:eu-1a",
                "--for",
                "20m",
            ],
            &[
                "--down catalog-db",
                "--slow search-index=x10",
                "--errors payments=30%",
                "--down zone:eu-1a",
            ],
        ),
        cli_case(
            &[
                "run",
                "examples/payments.yaml",
                "--hang",
                "ledger-db",
                "--for",
                "5m",
                "--step",
                "5s",
            ],
            &["--hang ledger-db"],
        ),
    ];
    for file in yaml_files(&path("scenarios")) {
        cases.push(scenario_case(&file));
    }
    let mut page = String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>");
    for (k, case) in cases.iter().enumerate() {
        let svg = case
            .svg
            .trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        page.push_str(&format!(
            "<div class=\"chart\" data-name=\"{k}\">{svg}</div>"
        ));
    }
    page.push_str(&format!("<script>{PROBE}</script></body></html>"));
    let mut dir = temp_dir("browser-charts");
    // WHATIF_KEEP_CHARTS: the page stays for a look, whatever the outcome.
    if std::env::var_os("WHATIF_KEEP_CHARTS").is_some() {
        dir.disable_cleanup(true);
        eprintln!("charts kept in {}", dir.path().display());
    }
    let shown = probe_result(&browser, dir.path(), &page);
    let shown = shown.as_array().unwrap();
    assert_eq!(shown.len(), cases.len());
    for (case, chart) in cases.iter().zip(shown) {
        let what = &case.name;
        let mut events: Vec<&str> = chart["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap_or(""))
            .collect();
        let mut expected: Vec<&str> = case.events.iter().map(String::as_str).collect();
        events.sort_unstable();
        expected.sort_unstable();
        assert_eq!(events, expected, "{what}: one labelled line per event");
        assert!(chart["rows"].as_u64().unwrap() >= 1, "{what}: no rows");
        assert!(
            chart["changes"].as_u64().unwrap() >= 1,
            "{what}: no state change"
        );
        let texts = boxes(&chart["texts"]);
        let f = &chart["frame"];
        let (fx0, fy0, fx1, fy1) = (
            f["x0"].as_f64().unwrap(),
            f["y0"].as_f64().unwrap(),
            f["x1"].as_f64().unwrap(),
            f["y1"].as_f64().unwrap(),
        );
        for t in &texts {
            assert!(
                t.x0 >= fx0 - 0.5 && t.x1 <= fx1 + 0.5 && t.y0 >= fy0 - 0.5 && t.y1 <= fy1 + 0.5,
                "{what}: {:?} sticks out of the chart",
                t.text
            );
        }
        for (i, a) in texts.iter().enumerate() {
            for b in &texts[i + 1..] {
                assert!(!overlap(a, b), "{what}: {a:?} overlaps {b:?}");
            }
        }
    }
}
