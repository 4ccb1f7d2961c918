//! HTML: one self-contained file per report, written by hand.
//!
//! What a report says — its sections, sentences and tables — is decided once for both formats by the
//! crate's `doc` module, as plain text; this module only lays that document out (headings, paragraphs,
//! key-figure boxes, tables with right-aligned numeric columns, coloured changes, the annex on its own
//! printed page) and draws the charts and maps the document leaves room for, from the report itself.
//! No template engine: writing the page as Rust keeps every value typed up to the one place it becomes
//! text. Every string goes through [`esc`] on its way in (observation text is user input); the only
//! markup not escaped is written here. The page has inline CSS only and inline SVG ([`crate::svg`]); it
//! references nothing outside itself, so it can be mailed, archived and printed offline.
//!
//! Printing: the classification banner is `position: fixed` at the top and the bottom in print media,
//! which browsers repeat on every printed page; the body sits in a table whose `thead` and `tfoot`
//! (repeated on every printed page too) are empty spacers as tall as the banners, so text never runs
//! under them (on screen that table is displayed as plain blocks). The annex starts on a new page;
//! rows, figures and headings are not split, and tables repeat their header row.

use std::fmt::Write as _;

use crate::doc::{self, Block, Column, Doc, Graphic, Heading, Span, Table, Text, signed};
use crate::model::{DailyReport, Dot, SpotReport, StatusReport, category_label};
use crate::svg::{self, Mark, Series};

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn banner_colour(marking: &str) -> &'static str {
    match marking {
        "NATO UNCLASSIFIED" => "#007a33",
        "NATO RESTRICTED" => "#0b5394",
        "NATO CONFIDENTIAL" => "#0b5394",
        "NATO SECRET" => "#c8102e",
        _ => "#ff8c00",
    }
}

const CSS: &str = r#"
:root { font-family: "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: #111; }
body { margin: 0; background: #fff; }
.banner { text-align: center; font-weight: 700; letter-spacing: .08em; padding: .3rem; color: #fff;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; font-size: .9rem; }
.banner.top { position: sticky; top: 0; z-index: 10; }
main { max-width: 1000px; margin: 0 auto; padding: 1rem 1.5rem 2rem; }
h1 { font-size: 1.45rem; margin: .6rem 0 .3rem; }
h2 { font-size: 1.15rem; border-bottom: 2px solid #333; margin-top: 1.8rem; padding-bottom: .15rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
p.meta { color: #444; margin: .2rem 0; font-size: .9rem; }
.note { background: #fff6d6; border-left: 4px solid #e0b000; padding: .5rem .75rem; margin: .8rem 0; }
.warn { background: #fde8e8; border-left: 4px solid #b00020; padding: .4rem .75rem; margin: .8rem 0; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin: .4rem 0 1rem; }
th, td { border: 1px solid #bbb; padding: .2rem .4rem; text-align: left; vertical-align: top; }
th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 700; border-top: 2px solid #333; }
.up { color: #b00020; } .down { color: #006d2c; }
.figures { display: flex; flex-wrap: wrap; gap: .5rem; margin: .6rem 0; }
.figures div { border: 1px solid #ccc; padding: .35rem .6rem; min-width: 7.5rem; }
.figures b { display: block; font-size: 1.3rem; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 50%; margin: 0 .3em 0 .8em;
  vertical-align: -.05em; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
figure { margin: .8rem 0; } figcaption { font-size: .8rem; color: #444; }
.credit { margin: 0; font-size: .7rem; color: #666; }
svg { max-width: 100%; height: auto; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.annex table { font-size: .72rem; }
.mono { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: .95em; white-space: nowrap; }
.frame, .frame > tbody, .frame > tbody > tr, .frame > tbody > tr > td { display: block; border: 0; padding: 0; }
.frame { font-size: inherit; margin: 0; width: 100%; }
.frame > thead, .frame > tfoot { display: none; }
@page { size: A4; margin: 10mm; }
@media print {
  .banner.top, .banner.bottom { position: fixed; left: 0; right: 0; }
  .banner.top { top: 0; }
  .banner.bottom { bottom: 0; }
  .frame { display: table; width: 100%; border-collapse: collapse; margin: 0; }
  .frame > thead { display: table-header-group; }
  .frame > tfoot { display: table-footer-group; }
  .frame > tbody { display: table-row-group; }
  .frame > tbody > tr { display: table-row; }
  .frame > tbody > tr > td { display: table-cell; }
  .frame > thead td, .frame > tfoot td { height: 9mm; border: 0; padding: 0; background: none; }
  main { max-width: none; padding: 0; }
  .annex { break-before: page; page-break-before: always; }
  tr, figure, svg, .figures, .note { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
}
"#;

/// The page around a report's body: banners, styles, the print layout.
fn page(title: &str, classification: &str, banner: &str, body: &str) -> String {
    let colour = banner_colour(classification);
    let (classification, banner) = (esc(classification), esc(banner));
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="classification" content="{classification}">
<meta name="banner" content="{banner}">
<title>{banner} — {title}</title>
<style>{CSS}</style>
</head>
<body>
<div class="banner top" style="background:{colour}">{banner}</div>
<table class="frame" role="presentation"><thead><tr><td></td></tr></thead><tfoot><tr><td></td></tr></tfoot><tbody><tr><td><main>
{body}
</main></td></tr></tbody></table>
<div class="banner bottom" style="background:{colour}">{banner}</div>
</body>
</html>
"#,
        title = esc(title),
    )
}

/// A text's spans, each escaped.
fn text(t: &Text) -> String {
    let mut out = String::new();
    for s in &t.0 {
        let _ = match s {
            Span::Plain(s) => write!(out, "{}", esc(s)),
            Span::Strong(s) => write!(out, "<b>{}</b>", esc(s)),
            Span::Mono(s) | Span::Code(s) => write!(out, r#"<span class="mono">{}</span>"#, esc(s)),
            Span::Change(0) => write!(out, "0"),
            Span::Change(n) => {
                write!(out, r#"<span class="{}">{}</span>"#, if *n > 0 { "up" } else { "down" }, signed(*n))
            }
            Span::Break => write!(out, "<br>"),
        };
    }
    out
}

/// A table; numeric columns are right-aligned (class `n`), the total row is set apart (class `total`).
fn table(out: &mut String, t: &Table) {
    let class = |c: &Column| if c.numeric { r#" class="n""# } else { "" };
    out.push_str("<table><thead><tr>");
    for c in &t.columns {
        let _ = write!(out, "<th{}>{}</th>", class(c), esc(c.title));
    }
    out.push_str("</tr></thead><tbody>");
    let mut row = |cells: &[Text], tr: &str| {
        let _ = write!(out, "<tr{tr}>");
        for (c, cell) in t.columns.iter().zip(cells) {
            let _ = write!(out, "<td{}>{}</td>", class(c), text(cell));
        }
        out.push_str("</tr>");
    };
    for r in &t.rows {
        row(r, "");
    }
    if let Some(total) = &t.total {
        row(total, r#" class="total""#);
    }
    out.push_str("</tbody></table>");
}

/// One block of a section.
fn block(out: &mut String, block: &Block, graphic: &impl Fn(&mut String, Graphic)) {
    match block {
        Block::Para(t) => {
            let _ = write!(out, "<p>{}</p>", text(t));
        }
        Block::Meta(t) => {
            let _ = write!(out, r#"<p class="meta">{}</p>"#, text(t));
        }
        Block::Sub(t) => {
            let _ = write!(out, "<h3>{}</h3>", esc(t));
        }
        Block::Figures(figures) => {
            out.push_str(r#"<div class="figures">"#);
            for (label, value) in figures {
                let _ = write!(out, "<div>{}<b>{}</b></div>", esc(label), text(value));
            }
            out.push_str("</div>");
        }
        Block::Fields(fields) => {
            let columns = vec![Column { title: "", numeric: false }, Column { title: "Detail", numeric: false }];
            let rows = fields.iter().map(|(label, value)| vec![Text::from(*label), value.clone()]).collect();
            table(out, &Table { columns, rows, total: None });
        }
        Block::Table(t) => table(out, t),
        Block::Graphic(g) => graphic(out, *g),
    }
}

/// The body of a report, with the graphics drawn by `graphic`, in its page.
fn render(doc: &Doc, graphic: impl Fn(&mut String, Graphic)) -> String {
    let mut b = String::new();
    let _ = write!(b, "<h1>{}</h1>", esc(&doc.title));
    for line in std::iter::once(&doc.agreement).chain(&doc.meta) {
        let _ = write!(b, r#"<p class="meta">{}</p>"#, text(line));
    }
    if let Some(w) = doc.warning {
        let _ = write!(b, r#"<p class="warn">{}</p>"#, esc(w));
    }
    if let Some(note) = &doc.note {
        let _ = write!(b, r#"<p class="note">{}</p>"#, esc(note));
    }
    for (heading, s) in doc.headed(|_| false) {
        let annex = s.heading == Heading::Annex;
        let _ = write!(b, "{}<h2>{}</h2>", if annex { r#"<section class="annex">"# } else { "" }, esc(&heading));
        for x in &s.blocks {
            block(&mut b, x, &graphic);
        }
        if annex {
            b.push_str("</section>");
        }
    }
    page(&doc.title, &doc.classification, &doc.banner, &b)
}

fn legend(out: &mut String, dots: &[Dot]) {
    let mut seen: Vec<&str> = Vec::new();
    for d in dots {
        if !seen.contains(&d.category.as_str()) {
            seen.push(&d.category);
        }
    }
    seen.sort_by_key(|c| truce_core::Category::ALL.iter().position(|x| x.id() == *c));
    out.push_str("<figcaption>");
    for c in seen {
        let label: &str = match c.parse::<truce_core::Category>() {
            Ok(cat) => category_label(cat),
            Err(_) => c,
        };
        let _ =
            write!(out, r#"<span class="swatch" style="background:{}"></span>{}"#, svg::category_colour(c), esc(label));
    }
    out.push_str("</figcaption>");
}

/// The attribution of the land and sea drawn under a map (ODbL), right under it.
fn credit(out: &mut String) {
    let _ = write!(out, r#"<p class="credit">Land and sea: {}</p>"#, esc(crate::coast::CREDIT));
}

fn dot_marks(dots: &[Dot]) -> Vec<Mark> {
    dots.iter()
        .map(|d| Mark::Dot {
            lon: d.lon,
            lat: d.lat,
            r: 2.5 + (f64::from(d.count)).sqrt().min(6.0),
            colour: svg::category_colour(&d.category).to_owned(),
            label: d.label.clone(),
        })
        .collect()
}

/// A bar chart of CFVs per category or sector, this period and the previous one.
fn cfv_bars<'a>(out: &mut String, by: &str, rows: impl Iterator<Item = (&'a str, u64, u64)>) {
    let series =
        [Series { name: "this period", colour: "#b00020" }, Series { name: "previous period", colour: "#9aa5b1" }];
    let chart: Vec<(String, Vec<u64>)> = rows.map(|(name, now, before)| (name.to_owned(), vec![now, before])).collect();
    let _ = write!(
        out,
        "<figure>{}<figcaption>Ceasefire violations by {by}, this period and the previous one.</figcaption></figure>",
        svg::bars(&format!("Ceasefire violations by {by}"), &series, &chart)
    );
}

/// The map of the period's violations, with its legend.
fn period_map(out: &mut String, r: &DailyReport) {
    let marks = dot_marks(&r.dots);
    let points =
        r.geometry.sectors.iter().flat_map(|s| s.1.iter().copied()).chain(r.dots.iter().map(|d| [d.lon, d.lat]));
    if let Some(bounds) = svg::bounds_of(points, 0.06, 0.5) {
        let _ = write!(out, "<figure>{}", svg::map("The period's incidents", &r.geometry, &marks, bounds, 900.0));
        credit(out);
        legend(out, &r.dots);
        out.push_str(
            "<figcaption>Ceasefire violations and incidents with a violation of the agreement, at their best location; dot size grows with the count. The line of contact in red, other lines dashed, sectors shaded.</figcaption></figure>",
        );
    }
}

/// The daily report as one HTML file.
pub fn daily(r: &DailyReport) -> String {
    let cfv = &r.ceasefire_violations;
    render(&doc::daily(r), |out, g| match g {
        Graphic::CfvByCategory => {
            cfv_bars(out, "category", cfv.by_category.iter().map(|c| (c.label.as_str(), c.counts.cfv, c.previous_cfv)));
        }
        Graphic::CfvBySector => {
            cfv_bars(out, "sector", cfv.by_sector.iter().map(|c| (c.name.as_str(), c.counts.cfv, c.previous_cfv)));
        }
        Graphic::PeriodMap => period_map(out, r),
        Graphic::IncidentMap | Graphic::CfvPerDay => {}
    })
}

/// The map of a spot report's incident: its best location and uncertainty, each report and observer.
fn incident_map(out: &mut String, r: &SpotReport) {
    let i = &r.incident;
    let mut marks = vec![Mark::Ring {
        lon: i.lon,
        lat: i.lat,
        radius_m: i.uncertainty_m.max(50.0),
        colour: svg::category_colour(i.category.id()).into(),
    }];
    let mut points = vec![[i.lon, i.lat]];
    for o in &r.observations {
        if let (Some(lat), Some(lon)) = (o.observer_lat, o.observer_lon) {
            marks.push(Mark::Segment { from: [lon, lat], to: [o.lon, o.lat], colour: "#1f3b73".into() });
            marks.push(Mark::Square { lon, lat, label: o.observer.clone().unwrap_or_else(|| o.means.clone()) });
            points.push([lon, lat]);
        }
        marks.push(Mark::Dot {
            lon: o.lon,
            lat: o.lat,
            r: 3.0,
            colour: "#555".into(),
            label: format!("{} ({})", o.id, o.means),
        });
        points.push([o.lon, o.lat]);
    }
    marks.push(Mark::Dot {
        lon: i.lon,
        lat: i.lat,
        r: 6.0,
        colour: svg::category_colour(i.category.id()).into(),
        label: format!("best location ({})", i.id),
    });
    if let Some(bounds) = svg::bounds_of(points, 0.25, 0.08) {
        let _ = write!(out, "<figure>{}", svg::map("The incident", &r.geometry, &marks, bounds, 640.0));
        credit(out);
        out.push_str(
            "<figcaption>The best location (large dot) with its uncertainty (dashed circle); each report's position (grey) and, where given, its observer (square) and bearing.</figcaption></figure>",
        );
    }
}

/// The spot report as one HTML file.
pub fn spot(r: &SpotReport) -> String {
    render(&doc::spot(r), |out, g| {
        if g == Graphic::IncidentMap {
            incident_map(out, r);
        }
    })
}

/// The status report as one HTML file.
pub fn status(r: &StatusReport) -> String {
    render(&doc::status(r), |out, g| {
        if g == Graphic::CfvPerDay {
            let chart: Vec<(String, u64)> =
                r.by_day.iter().map(|d| (d.date.get(5..).unwrap_or(&d.date).to_owned(), d.counts.cfv)).collect();
            let _ = write!(
                out,
                "<figure>{}<figcaption>Ceasefire violations per reporting period (labelled by its date).</figcaption></figure>",
                svg::columns("Ceasefire violations per day", "#b00020", &chart)
            );
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn the_page_has_a_banner_top_and_bottom_and_escapes_the_title() {
        let html = page("<b>t</b>", "NATO RESTRICTED", "NATO RESTRICTED // REL TO FRA, GBR", "<p>body</p>");
        assert_eq!(html.matches(">NATO RESTRICTED // REL TO FRA, GBR</div>").count(), 2);
        assert!(html.contains("&lt;b&gt;t&lt;/b&gt;") && !html.contains("<b>t</b>"));
        assert!(html.contains("position: fixed"));
    }

    #[test]
    fn a_document_is_laid_out_with_every_text_escaped() {
        let html = render(&doc::sample(), |out, g| {
            let _ = write!(out, "<figure>{g:?}</figure>");
        });
        assert!(!html.contains("<script") && !html.contains("<i>") && !html.contains("Title <b>"), "{html}");
        assert_eq!(html.matches("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp;").count(), 6, "{html}");
        assert!(html.contains("<h2>1. First</h2>") && html.contains("<h2>2. Map</h2><figure>PeriodMap</figure>"));
        assert!(
            html.contains("<h2>3. Second</h2><h3>Sub</h3><table><thead><tr><th>Name</th><th class=\"n\">Change</th>")
        );
        assert!(html.contains(r#"<td class="n"><span class="down">-2</span></td>"#));
        assert!(html.contains(
            r#"<tr class="total"><td>Total</td><td class="n"><span class="up">+3</span></td><td>—</td></tr>"#
        ));
        assert!(html.contains(r#"<span class="mono">1, 2</span><br><span class="mono">&lt;script&gt;"#));
        assert!(html.contains(r#"<tr><td>Id</td><td><span class="mono">inc-&lt;1&gt;</span></td></tr>"#));
        assert!(html.contains("<div>Change<b>0</b></div>") && html.contains("<h2>4. Empty</h2><p>None.</p>"));
        assert!(html.contains(r#"<section class="annex"><h2>Annex</h2><p class="meta">&lt;script"#));
        assert!(html.contains(r#"<p class="warn">"#) && html.contains(r#"<p class="note">&lt;script"#));
    }

    #[test]
    fn a_map_of_the_sea_of_azov_draws_its_coast_clipped_and_small() {
        let g = crate::model::Geometry::default();
        let s = svg::map("t", &g, &[], [34.8, 45.2, 39.4, 47.4], 900.0);
        let coast: Vec<&str> = s.split(r#"<path class="coast" d=""#).skip(1).collect();
        assert!(!coast.is_empty(), "the seas are drawn: {s}");
        assert!(s.contains(r#"<path class="land""#), "and the land under them");
        // Everything drawn is within the frame's two-pixel margin (the paths are relative: `m` and `l`
        // move the pen, `z` takes it back to the subpath's start).
        let height: f64 =
            s.split("viewBox=\"0 0 900 ").nth(1).and_then(|r| r.split('"').next()).unwrap().parse().unwrap();
        for d in s.split(" d=\"").skip(1).map(|r| r.split('"').next().unwrap()) {
            let (mut pen, mut start) = ((0.0, 0.0), (0.0, 0.0));
            for sub in d.split_inclusive('z') {
                let sub = sub.trim_end_matches('z').trim_start_matches('m');
                for (k, xy) in sub.split(['l', ' ']).filter(|t| !t.is_empty()).enumerate() {
                    let (x, y) = xy.split_once(',').unwrap();
                    pen = (pen.0 + x.parse::<f64>().unwrap(), pen.1 + y.parse::<f64>().unwrap());
                    if k == 0 {
                        start = pen;
                    }
                    assert!((-2.1..=902.1).contains(&pen.0) && (-2.1..=height + 2.1).contains(&pen.1), "{pen:?}");
                }
                pen = start;
            }
        }
        // 1,920 + 4,045 vertices in the files; a few hundred at this scale.
        assert!(s.len() < 20_000, "{} bytes", s.len());
        let inland = svg::map("t", &g, &[], [37.5, 48.4, 37.7, 48.5], 640.0);
        assert!(!inland.contains(r#"class="coast""#) && inland.contains(r#"class="land""#), "Donbas is land only");
        let reservoir = svg::map("t", &g, &[], [32.0, 48.8, 33.4, 49.8], 640.0);
        assert!(reservoir.contains(r#"<path class="lake" d="m"#), "the Kremenchuk reservoir is water");
    }

    #[test]
    fn svg_labels_are_escaped() {
        let s = svg::bars("a<b", &[Series { name: "\"x\"", colour: "#000" }], &[("<script>".into(), vec![3])]);
        assert!(!s.contains("<script>") && s.contains("&lt;script&gt;") && s.contains("&quot;x&quot;"));
        let c = svg::columns("t", "#000", &[("</svg>".into(), 1)]);
        assert_eq!(c.matches("</svg>").count(), 1);
    }
}
