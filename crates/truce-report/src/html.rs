//! HTML: one self-contained file per report, written by hand.
//!
//! No template engine: the reports are a fixed sequence of sections, and writing them as Rust keeps
//! every value typed up to the one place it becomes text. Every string that did not come from this
//! file goes through [`esc`] (observation text is user input). The page has inline CSS only and inline
//! SVG ([`crate::svg`]); it references nothing outside itself, so it can be mailed, archived and
//! printed offline.
//!
//! Printing: the classification banner is `position: fixed` at the top and the bottom in print media,
//! which browsers repeat on every printed page; the body sits in a table whose `thead` and `tfoot`
//! (repeated on every printed page too) are empty spacers as tall as the banners, so text never runs
//! under them (on screen that table is displayed as plain blocks). The annex starts on a new page;
//! rows, figures and headings are not split, and tables repeat their header row.

use std::fmt::Write as _;

use crate::model::{
    AnnexRow, CasualtySection, CfvRow, DailyReport, Dot, MovementRow, SectorRow, SpotReport, StatusReport,
    WeaponsSection, category_label,
};
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

fn opt(s: Option<&str>) -> String {
    s.map_or_else(|| "—".to_owned(), esc)
}

fn num_opt(n: Option<u64>) -> String {
    n.map_or_else(|| "—".to_owned(), |n| n.to_string())
}

fn km(m: Option<f64>) -> String {
    m.map_or_else(|| "—".to_owned(), |m| format!("{:.1}", m / 1000.0))
}

fn signed(n: i64) -> String {
    match n {
        0 => "0".to_owned(),
        n if n > 0 => format!(r#"<span class="up">+{n}</span>"#),
        n => format!(r#"<span class="down">{n}</span>"#),
    }
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
fn page(title: &str, classification: &str, body: &str) -> String {
    let colour = banner_colour(classification);
    let banner = esc(classification);
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="classification" content="{banner}">
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

/// A table: headers (a leading `#` marks a numeric column) and rows of ready HTML cells.
fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>], total: Option<Vec<String>>) {
    out.push_str("<table><thead><tr>");
    for h in headers {
        match h.strip_prefix('#') {
            Some(h) => {
                let _ = write!(out, r#"<th class="n">{}</th>"#, esc(h));
            }
            None => {
                let _ = write!(out, "<th>{}</th>", esc(h));
            }
        }
    }
    out.push_str("</tr></thead><tbody>");
    let mut row = |cells: &[String], class: &str| {
        let _ = write!(out, "<tr{class}>");
        for (h, c) in headers.iter().zip(cells) {
            if h.starts_with('#') {
                let _ = write!(out, r#"<td class="n">{c}</td>"#);
            } else {
                let _ = write!(out, "<td>{c}</td>");
            }
        }
        out.push_str("</tr>");
    };
    for r in rows {
        row(r, "");
    }
    if let Some(t) = total {
        row(&t, r#" class="total""#);
    }
    out.push_str("</tbody></table>");
}

fn none(out: &mut String, what: &str) {
    let _ = write!(out, "<p>{}</p>", esc(what));
}

fn head(out: &mut String, title: &str, agreement: &crate::model::AgreementRef, lines: &[String]) {
    let _ = write!(out, "<h1>{}</h1>", esc(title));
    let _ = write!(
        out,
        r#"<p class="meta">Agreement: {} (<span class="mono">{}</span>, version {})</p>"#,
        esc(&agreement.title),
        esc(&agreement.id),
        esc(&agreement.version)
    );
    for l in lines {
        let _ = write!(out, r#"<p class="meta">{l}</p>"#);
    }
    if agreement.illustrative {
        out.push_str(
            r#"<p class="warn">The agreement is an invented illustration and the line of contact an approximation: not for operational use.</p>"#,
        );
    }
}

fn cfv_cells(r: &CfvRow) -> Vec<String> {
    vec![
        esc(&r.label),
        r.counts.cfv.to_string(),
        r.counts.incidents.to_string(),
        r.counts.reports.to_string(),
        r.previous_cfv.to_string(),
        signed(r.change),
        num_opt(r.cumulative_cfv),
    ]
}

fn sector_cells(r: &SectorRow) -> Vec<String> {
    vec![
        esc(&r.name),
        r.counts.cfv.to_string(),
        r.counts.incidents.to_string(),
        r.counts.reports.to_string(),
        r.previous_cfv.to_string(),
        signed(r.change),
        num_opt(r.cumulative_cfv),
    ]
}

fn code_label(code: &str) -> &'static str {
    match code {
        crate::model::FORWARD => "forward of withdrawal line",
        crate::model::OUTSIDE_STORAGE => "outside storage site",
        _ => "other",
    }
}

fn weapons_section(out: &mut String, w: &WeaponsSection) {
    let _ = write!(
        out,
        "<p><b>{}</b> weapons in violation of the respective withdrawal lines; <b>{}</b> beyond the lines but outside designated storage sites.</p>",
        w.forward_of_withdrawal_line, w.outside_storage_site
    );
    if w.rows.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = w
        .rows
        .iter()
        .map(|r| {
            vec![
                esc(&r.time_local),
                esc(code_label(&r.code)),
                opt(r.class.as_deref()),
                opt(r.party.as_deref()),
                r.count.to_string(),
                km(r.actual_m),
                km(r.required_m),
                opt(r.sector.as_deref()),
                format!(r#"<span class="mono">{:.4}, {:.4}</span>"#, r.lat, r.lon),
                opt(r.text.as_deref()),
            ]
        })
        .collect();
    table(
        out,
        &[
            "Time",
            "Violation",
            "Class",
            "Party",
            "#Count",
            "#Distance km",
            "#Required km",
            "Sector",
            "Position",
            "Report",
        ],
        &rows,
        None,
    );
}

fn movement_table(out: &mut String, rows: &[MovementRow], empty: &str) {
    if rows.is_empty() {
        none(out, empty);
        return;
    }
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                esc(&r.time_local),
                opt(r.party.as_deref()),
                opt(r.reason.as_deref()),
                esc(&r.observers.join(", ")),
                opt(r.sector.as_deref()),
                format!(r#"<span class="mono">{:.4}, {:.4}</span>"#, r.lat, r.lon),
                opt(r.text.as_deref()),
            ]
        })
        .collect();
    table(out, &["Time", "Party", "Reason cited", "Reported by", "Sector", "Position", "Report"], &rows, None);
}

fn casualty_section(out: &mut String, c: &CasualtySection) {
    let _ = write!(out, "<p><b>{}</b> civilians killed, <b>{}</b> injured.</p>", c.killed, c.injured);
    if c.rows.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = c
        .rows
        .iter()
        .map(|r| {
            vec![
                esc(&r.time_local),
                esc(&r.category),
                r.killed.to_string(),
                r.injured.to_string(),
                opt(r.sector.as_deref()),
                opt(r.text.as_deref()),
            ]
        })
        .collect();
    table(out, &["Time", "Category", "#Killed", "#Injured", "Sector", "Report"], &rows, None);
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

fn annex_table(out: &mut String, rows: &[AnnexRow]) {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                format!(r#"<span class="mono">{}</span>"#, esc(&r.id)),
                esc(&r.time_local),
                format!(
                    r#"<span class="mono">{:.4}, {:.4}</span>{}"#,
                    r.lat,
                    r.lon,
                    r.mgrs
                        .as_deref()
                        .map(|m| format!(r#"<br><span class="mono">{}</span>"#, esc(m)))
                        .unwrap_or_default()
                ),
                esc(&r.category),
                r.count.map_or_else(|| "—".into(), |c| c.to_string()),
                format!("{}<br>{}", esc(&r.means), opt(r.team.as_deref())),
                opt(r.text.as_deref()),
                opt(r.incident.as_deref()),
            ]
        })
        .collect();
    table(
        out,
        &["Id", "Time", "Place (lat, lon; MGRS)", "Category", "#Count", "Means / team", "Text", "Incident"],
        &rows,
        None,
    );
}

/// The daily report as one HTML file.
pub fn daily(r: &DailyReport) -> String {
    let mut b = String::new();
    let p = &r.period;
    head(
        &mut b,
        &r.title,
        &r.agreement,
        &[
            format!(
                "Reporting period: {} to {} ({} h; UTC {} to {}). Compared with the previous period, {} to {}.",
                esc(&p.start_local),
                esc(&p.end_local),
                p.hours,
                esc(&p.start),
                esc(&p.end),
                esc(&r.previous_period.start_local),
                esc(&r.previous_period.end_local)
            ),
            format!(
                "Edition: <b>{}</b>. Cumulative counts since {}.",
                esc(r.edition.id()),
                r.cumulative_since.as_deref().map_or_else(|| "— (the agreement has no effective date)".into(), esc)
            ),
        ],
    );
    if let Some(note) = &r.withheld.note {
        let _ = write!(b, r#"<p class="note">{}</p>"#, esc(note));
    }

    b.push_str("<h2>1. Summary</h2>");
    let s = &r.summary;
    let _ = write!(
        b,
        r#"<div class="figures"><div>Ceasefire violations<b>{}</b></div><div>Change<b>{}</b></div><div>Since the agreement<b>{}</b></div><div>Incidents / reports<b>{} / {}</b></div><div>Weapons in violation<b>{}</b></div><div>Restrictions<b>{}</b></div><div>Civilians killed / injured<b>{} / {}</b></div></div>"#,
        s.cfv,
        signed(s.cfv_change),
        num_opt(s.cfv_cumulative),
        s.incidents,
        s.reports,
        s.weapons_in_violation,
        s.restrictions,
        s.killed,
        s.injured
    );
    for t in &s.text {
        let _ = write!(b, "<p>{}</p>", esc(t));
    }

    b.push_str("<h2>2. Ceasefire violations</h2>");
    b.push_str(
        "<p class=\"meta\">Counted on incidents: one event seen by several monitors is one incident; the CFVs of a category are the sum of its incidents' counts. Reports are the observations behind them.</p>",
    );
    let cfv = &r.ceasefire_violations;
    b.push_str("<h3>By category</h3>");
    let headers = ["Category", "#CFVs", "#Incidents", "#Reports", "#Previous period", "#Change", "#Cumulative"];
    let rows: Vec<Vec<String>> = cfv.by_category.iter().map(cfv_cells).collect();
    table(&mut b, &headers, &rows, Some(cfv_cells(&cfv.total)));
    let series =
        [Series { name: "this period", colour: "#b00020" }, Series { name: "previous period", colour: "#9aa5b1" }];
    let chart: Vec<(String, Vec<u64>)> =
        cfv.by_category.iter().map(|c| (c.label.clone(), vec![c.counts.cfv, c.previous_cfv])).collect();
    let _ = write!(
        b,
        "<figure>{}<figcaption>Ceasefire violations by category, this period and the previous one.</figcaption></figure>",
        svg::bars("Ceasefire violations by category", &series, &chart)
    );
    b.push_str("<h3>By sector</h3>");
    let mut headers = headers;
    headers[0] = "Sector";
    let rows: Vec<Vec<String>> = cfv.by_sector.iter().map(sector_cells).collect();
    let mut total = cfv_cells(&cfv.total);
    total[0] = "Total".into();
    table(&mut b, &headers, &rows, Some(total));
    let chart: Vec<(String, Vec<u64>)> =
        cfv.by_sector.iter().map(|c| (c.name.clone(), vec![c.counts.cfv, c.previous_cfv])).collect();
    let _ = write!(
        b,
        "<figure>{}<figcaption>Ceasefire violations by sector, this period and the previous one.</figcaption></figure>",
        svg::bars("Ceasefire violations by sector", &series, &chart)
    );

    b.push_str("<h2>3. Map of the period's violations</h2>");
    let marks = dot_marks(&r.dots);
    let points =
        r.geometry.sectors.iter().flat_map(|s| s.1.iter().copied()).chain(r.dots.iter().map(|d| [d.lon, d.lat]));
    if let Some(bounds) = svg::bounds_of(points, 0.06, 0.5) {
        let _ = write!(b, "<figure>{}", svg::map("The period's incidents", &r.geometry, &marks, bounds, 900.0));
        legend(&mut b, &r.dots);
        b.push_str(
            "<figcaption>Ceasefire violations and incidents with a violation of the agreement, at their best location; dot size grows with the count. The line of contact in red, other lines dashed, sectors shaded.</figcaption></figure>",
        );
    }

    b.push_str("<h2>4. Weapons in violation of withdrawal lines and outside storage sites</h2>");
    weapons_section(&mut b, &r.weapons);
    b.push_str("<h3>Storage sites</h3>");
    if r.storage_sites.is_empty() {
        none(&mut b, "No storage site was visited in the period.");
    } else {
        let rows: Vec<Vec<String>> = r
            .storage_sites
            .iter()
            .map(|s| {
                vec![
                    esc(&s.time_local),
                    esc(&s.site_name),
                    opt(s.class.as_deref()),
                    opt(s.party.as_deref()),
                    s.count.to_string(),
                    opt(s.text.as_deref()),
                ]
            })
            .collect();
        table(&mut b, &["Time", "Site", "Class", "Party", "#Present", "Report"], &rows, None);
    }

    b.push_str("<h2>5. Disengagement areas</h2>");
    if r.disengagement_areas.is_empty() {
        none(&mut b, "No violation was recorded inside the disengagement areas.");
    } else {
        let rows: Vec<Vec<String>> = r
            .disengagement_areas
            .iter()
            .map(|z| {
                vec![
                    esc(&z.time_local),
                    opt(z.zone_name.as_deref().or(z.zone.as_deref())),
                    esc(&z.category),
                    z.count.to_string(),
                    opt(z.party.as_deref()),
                    opt(z.text.as_deref()),
                ]
            })
            .collect();
        table(&mut b, &["Time", "Area", "Category", "#Count", "Party", "Report"], &rows, None);
    }

    b.push_str("<h2>6. Freedom of movement</h2>");
    let fom = &r.freedom_of_movement;
    let _ = write!(
        b,
        "<p>Restrictions of the monitors' freedom of movement: <b>{}</b>; instances of GPS jamming: <b>{}</b>.</p>",
        fom.restrictions.len(),
        fom.gps_jamming.len()
    );
    b.push_str("<h3>Restrictions</h3>");
    movement_table(&mut b, &fom.restrictions, "No restriction was recorded.");
    b.push_str("<h3>GPS jamming</h3>");
    movement_table(&mut b, &fom.gps_jamming, "No GPS jamming was recorded.");

    b.push_str("<h2>7. Civilian casualties</h2>");
    casualty_section(&mut b, &r.civilian_casualties);

    b.push_str(r#"<section class="annex"><h2>Annex: the period's observations</h2>"#);
    let _ =
        write!(b, r#"<p class="meta">{} observations, times in {} local time.</p>"#, r.annex.len(), esc(&r.period.tz));
    annex_table(&mut b, &r.annex);
    b.push_str("</section>");
    page(&r.title, &r.classification, &b)
}

/// The spot report as one HTML file.
pub fn spot(r: &SpotReport) -> String {
    let mut b = String::new();
    let i = &r.incident;
    head(
        &mut b,
        &r.title,
        &r.agreement,
        &[format!("Edition: <b>{}</b>. Times in {}.", esc(r.edition.id()), esc(&r.tz))],
    );
    b.push_str("<h2>What, when, where</h2>");
    let rows = vec![
        vec!["Incident".into(), format!(r#"<span class="mono">{}</span>"#, esc(&i.id))],
        vec![
            "What".into(),
            format!("{} ({}), count {}", esc(category_label(i.category)), esc(i.category.id()), i.count),
        ],
        vec!["Weapon class".into(), opt(i.weapon_class.as_deref())],
        vec!["Party".into(), opt(i.party.as_deref())],
        vec!["When".into(), format!("{} to {}", esc(&r.time_local), esc(&r.time_end_local))],
        vec![
            "Where".into(),
            format!(
                r#"<span class="mono">{:.5}, {:.5}</span>{} ± {:.0} m, located by {}"#,
                i.lat,
                i.lon,
                r.mgrs.as_deref().map(|m| format!(r#" (<span class="mono">{}</span>)"#, esc(m))).unwrap_or_default(),
                i.uncertainty_m,
                esc(&r.located_by_text)
            ),
        ],
        vec!["Sector".into(), opt(i.sector.as_deref())],
        vec!["Confidence".into(), esc(i.confidence.id())],
        vec![
            "Civilian casualties".into(),
            i.casualties.map_or_else(|| "—".into(), |c| format!("{} killed, {} injured", c.killed, c.injured)),
        ],
    ];
    table(&mut b, &["", "Detail"], &rows, None);

    b.push_str("<h2>Map</h2>");
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
        let _ = write!(
            b,
            "<figure>{}<figcaption>The best location (large dot) with its uncertainty (dashed circle); each report's position (grey) and, where given, its observer (square) and bearing.</figcaption></figure>",
            svg::map("The incident", &r.geometry, &marks, bounds, 640.0)
        );
    }

    b.push_str("<h2>Observations</h2>");
    let rows: Vec<Vec<String>> = r
        .observations
        .iter()
        .map(|o| {
            vec![
                format!(r#"<span class="mono">{}</span>"#, esc(&o.id)),
                esc(&o.time_local),
                format!("{}<br>{}", esc(&o.means), opt(o.observer.as_deref())),
                match (o.observer_lat, o.observer_lon) {
                    (Some(a), Some(b)) => format!(r#"<span class="mono">{a:.4}, {b:.4}</span>"#),
                    _ => "—".into(),
                },
                o.bearing_deg.map_or_else(|| "—".into(), |v| format!("{v:.0}°")),
                o.range_m.map_or_else(|| "—".into(), |v| format!("{:.1} km", v / 1000.0)),
                format!(r#"<span class="mono">{:.4}, {:.4}</span><br>{}"#, o.lat, o.lon, esc(&o.location_precision)),
                esc(&o.category),
                o.count.map_or_else(|| "—".into(), |c| c.to_string()),
                opt(o.text.as_deref()),
            ]
        })
        .collect();
    table(
        &mut b,
        &[
            "Id",
            "Time",
            "Means / observer",
            "Observer at",
            "#Bearing",
            "#Range",
            "Reported at",
            "Category",
            "#Count",
            "Text",
        ],
        &rows,
        None,
    );

    b.push_str("<h2>Violations</h2>");
    if r.violations.is_empty() {
        none(&mut b, "No violation of the agreement.");
    } else {
        let rows: Vec<Vec<String>> = r
            .violations
            .iter()
            .map(|v| {
                vec![
                    esc(&v.code),
                    opt(v.zone.as_deref()),
                    opt(v.class.as_deref()),
                    opt(v.party.as_deref()),
                    opt(v.line.as_deref()),
                    km(v.actual_m),
                    km(v.required_m),
                    opt(v.phase.as_deref()),
                ]
            })
            .collect();
        table(
            &mut b,
            &["Code", "Zone", "Class", "Party", "Line", "#Distance km", "#Required km", "Phase"],
            &rows,
            None,
        );
    }
    page(&r.title, &r.classification, &b)
}

/// The status report as one HTML file.
pub fn status(r: &StatusReport) -> String {
    let mut b = String::new();
    head(
        &mut b,
        &r.title,
        &r.agreement,
        &[format!(
            "{} reporting periods, {} to {} (UTC); edition <b>{}</b>.",
            r.by_day.len(),
            esc(&r.start),
            esc(&r.end),
            esc(r.edition.id())
        )],
    );
    if let Some(note) = &r.withheld_note {
        let _ = write!(b, r#"<p class="note">{}</p>"#, esc(note));
    }
    let t = &r.totals;
    b.push_str("<h2>Totals</h2>");
    let _ = write!(
        b,
        r#"<div class="figures"><div>Ceasefire violations<b>{}</b></div><div>Incidents / reports<b>{} / {}</b></div><div>Weapons in violation<b>{}</b></div><div>Restrictions<b>{}</b></div><div>GPS jamming<b>{}</b></div><div>Civilians killed / injured<b>{} / {}</b></div></div>"#,
        t.counts.cfv,
        t.counts.incidents,
        t.counts.reports,
        t.weapons_in_violation,
        t.restrictions,
        t.gps_jamming,
        t.killed,
        t.injured
    );
    let rows: Vec<Vec<String>> = r
        .by_category
        .iter()
        .map(|c| {
            vec![esc(&c.label), c.counts.cfv.to_string(), c.counts.incidents.to_string(), c.counts.reports.to_string()]
        })
        .collect();
    table(
        &mut b,
        &["Category", "#CFVs", "#Incidents", "#Reports"],
        &rows,
        Some(vec![
            "Total".into(),
            t.counts.cfv.to_string(),
            t.counts.incidents.to_string(),
            t.counts.reports.to_string(),
        ]),
    );
    b.push_str("<h2>Per day</h2>");
    let chart: Vec<(String, u64)> =
        r.by_day.iter().map(|d| (d.date.get(5..).unwrap_or(&d.date).to_owned(), d.counts.cfv)).collect();
    let _ = write!(
        b,
        "<figure>{}<figcaption>Ceasefire violations per reporting period (labelled by its date).</figcaption></figure>",
        svg::columns("Ceasefire violations per day", "#b00020", &chart)
    );
    let rows: Vec<Vec<String>> = r
        .by_day
        .iter()
        .map(|d| {
            vec![
                esc(&d.date),
                d.counts.cfv.to_string(),
                d.counts.incidents.to_string(),
                d.counts.reports.to_string(),
                d.observations.to_string(),
            ]
        })
        .collect();
    table(&mut b, &["Date", "#CFVs", "#Incidents", "#Reports", "#Observations"], &rows, None);
    b.push_str("<h2>Per sector</h2>");
    let rows: Vec<Vec<String>> = r
        .by_sector
        .iter()
        .map(|s| {
            vec![esc(&s.name), s.counts.cfv.to_string(), s.counts.incidents.to_string(), s.counts.reports.to_string()]
        })
        .collect();
    table(&mut b, &["Sector", "#CFVs", "#Incidents", "#Reports"], &rows, None);
    b.push_str("<h2>Weapons in violation</h2>");
    weapons_section(&mut b, &r.weapons);
    b.push_str("<h2>Restrictions of freedom of movement</h2>");
    movement_table(&mut b, &r.freedom_of_movement.restrictions, "No restriction was recorded.");
    b.push_str("<h3>GPS jamming</h3>");
    movement_table(&mut b, &r.freedom_of_movement.gps_jamming, "No GPS jamming was recorded.");
    b.push_str("<h2>Civilian casualties</h2>");
    casualty_section(&mut b, &r.civilian_casualties);
    page(&r.title, &r.classification, &b)
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
        let html = page("<b>t</b>", "NATO RESTRICTED", "<p>body</p>");
        assert_eq!(html.matches(">NATO RESTRICTED</div>").count(), 2);
        assert!(html.contains("&lt;b&gt;t&lt;/b&gt;") && !html.contains("<b>t</b>"));
        assert!(html.contains("position: fixed"));
    }

    #[test]
    fn svg_labels_are_escaped() {
        let s = svg::bars("a<b", &[Series { name: "\"x\"", colour: "#000" }], &[("<script>".into(), vec![3])]);
        assert!(!s.contains("<script>") && s.contains("&lt;script&gt;") && s.contains("&quot;x&quot;"));
        let c = svg::columns("t", "#000", &[("</svg>".into(), 1)]);
        assert_eq!(c.matches("</svg>").count(), 1);
    }
}
