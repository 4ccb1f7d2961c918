//! Markdown: the same sections as the HTML, as text and pipe tables (no charts or maps).
//!
//! Markdown renderers pass HTML through, so text from observations is escaped for HTML (`<`, `>`,
//! `&`) as well as for Markdown (emphasis, links, code, and `|` which would split a table cell);
//! line breaks inside a cell become spaces.

use std::fmt::Write as _;

use crate::model::{
    CasualtySection, CfvRow, DailyReport, MovementRow, SpotReport, StatusReport, WeaponsSection, category_label,
};

/// Escapes text for Markdown (and the HTML a renderer would pass through), on one line.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn opt(s: Option<&str>) -> String {
    s.map_or_else(|| "—".to_owned(), esc)
}

fn km(m: Option<f64>) -> String {
    m.map_or_else(|| "—".to_owned(), |m| format!("{:.1}", m / 1000.0))
}

fn signed(n: i64) -> String {
    if n > 0 { format!("+{n}") } else { n.to_string() }
}

fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", headers.iter().map(|h| h.trim_start_matches('#')).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        headers.iter().map(|h| if h.starts_with('#') { "---:" } else { "---" }).collect::<Vec<_>>().join("|")
    );
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out.push('\n');
}

fn banner(out: &mut String, classification: &str) {
    let _ = writeln!(out, "**{}**\n", esc(classification));
}

fn head(out: &mut String, title: &str, agreement: &crate::model::AgreementRef) {
    let _ = writeln!(out, "# {}\n", esc(title));
    let _ = writeln!(
        out,
        "Agreement: {} (`{}`, version {})\n",
        esc(&agreement.title),
        agreement.id.replace('`', "'"),
        esc(&agreement.version)
    );
    if agreement.illustrative {
        out.push_str(
            "> The agreement is an invented illustration and the line of contact an approximation: not for operational use.\n\n",
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
        r.cumulative_cfv.map_or_else(|| "—".into(), |c| c.to_string()),
    ]
}

fn weapons(out: &mut String, w: &WeaponsSection) {
    let _ = writeln!(
        out,
        "{} weapons in violation of the respective withdrawal lines; {} beyond the lines but outside designated storage sites.\n",
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
                esc(&r.code),
                opt(r.class.as_deref()),
                opt(r.party.as_deref()),
                r.count.to_string(),
                km(r.actual_m),
                km(r.required_m),
                opt(r.sector.as_deref()),
                format!("{:.4}, {:.4}", r.lat, r.lon),
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
    );
}

fn movement(out: &mut String, rows: &[MovementRow], empty: &str) {
    if rows.is_empty() {
        let _ = writeln!(out, "{empty}\n");
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
                format!("{:.4}, {:.4}", r.lat, r.lon),
                opt(r.text.as_deref()),
            ]
        })
        .collect();
    table(out, &["Time", "Party", "Reason cited", "Reported by", "Sector", "Position", "Report"], &rows);
}

fn casualties(out: &mut String, c: &CasualtySection) {
    let _ = writeln!(out, "{} civilians killed, {} injured.\n", c.killed, c.injured);
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
    table(out, &["Time", "Category", "#Killed", "#Injured", "Sector", "Report"], &rows);
}

/// The daily report in Markdown.
pub fn daily(r: &DailyReport) -> String {
    let mut b = String::new();
    banner(&mut b, &r.classification);
    head(&mut b, &r.title, &r.agreement);
    let p = &r.period;
    let _ = writeln!(
        b,
        "Reporting period: {} to {} ({} h; UTC {} to {}). Edition: {}.\n",
        esc(&p.start_local),
        esc(&p.end_local),
        p.hours,
        esc(&p.start),
        esc(&p.end),
        r.edition.id()
    );
    if let Some(note) = &r.withheld.note {
        let _ = writeln!(b, "> {}\n", esc(note));
    }
    b.push_str("## 1. Summary\n\n");
    for t in &r.summary.text {
        let _ = writeln!(b, "{}\n", esc(t));
    }
    b.push_str("## 2. Ceasefire violations\n\n### By category\n\n");
    let cfv = &r.ceasefire_violations;
    let headers = ["Category", "#CFVs", "#Incidents", "#Reports", "#Previous period", "#Change", "#Cumulative"];
    let mut rows: Vec<Vec<String>> = cfv.by_category.iter().map(cfv_cells).collect();
    rows.push(cfv_cells(&cfv.total).into_iter().map(|c| format!("**{c}**")).collect());
    table(&mut b, &headers, &rows);
    b.push_str("### By sector\n\n");
    let mut headers = headers;
    headers[0] = "Sector";
    let rows: Vec<Vec<String>> = cfv
        .by_sector
        .iter()
        .map(|s| {
            vec![
                esc(&s.name),
                s.counts.cfv.to_string(),
                s.counts.incidents.to_string(),
                s.counts.reports.to_string(),
                s.previous_cfv.to_string(),
                signed(s.change),
                s.cumulative_cfv.map_or_else(|| "—".into(), |c| c.to_string()),
            ]
        })
        .collect();
    table(&mut b, &headers, &rows);
    b.push_str("## 3. Weapons in violation of withdrawal lines and outside storage sites\n\n");
    weapons(&mut b, &r.weapons);
    if !r.storage_sites.is_empty() {
        b.push_str("### Storage sites\n\n");
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
        table(&mut b, &["Time", "Site", "Class", "Party", "#Present", "Report"], &rows);
    }
    b.push_str("## 4. Disengagement areas\n\n");
    if r.disengagement_areas.is_empty() {
        b.push_str("No violation was recorded inside the disengagement areas.\n\n");
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
        table(&mut b, &["Time", "Area", "Category", "#Count", "Party", "Report"], &rows);
    }
    b.push_str("## 5. Freedom of movement\n\n");
    let fom = &r.freedom_of_movement;
    let _ = writeln!(
        b,
        "Restrictions of the monitors' freedom of movement: {}; instances of GPS jamming: {}.\n",
        fom.restrictions.len(),
        fom.gps_jamming.len()
    );
    movement(&mut b, &fom.restrictions, "No restriction was recorded.");
    b.push_str("### GPS jamming\n\n");
    movement(&mut b, &fom.gps_jamming, "No GPS jamming was recorded.");
    b.push_str("## 6. Civilian casualties\n\n");
    casualties(&mut b, &r.civilian_casualties);
    let _ = writeln!(b, "## Annex: the period's observations\n\n{} observations.\n", r.annex.len());
    let rows: Vec<Vec<String>> = r
        .annex
        .iter()
        .map(|a| {
            vec![
                format!("`{}`", a.id.replace('`', "'")),
                esc(&a.time_local),
                format!(
                    "{:.4}, {:.4}{}",
                    a.lat,
                    a.lon,
                    a.mgrs.as_deref().map(|m| format!(" ({m})")).unwrap_or_default()
                ),
                esc(&a.category),
                a.count.map_or_else(|| "—".into(), |c| c.to_string()),
                format!("{} {}", esc(&a.means), opt(a.team.as_deref())),
                opt(a.text.as_deref()),
                opt(a.incident.as_deref()),
            ]
        })
        .collect();
    table(&mut b, &["Id", "Time", "Place", "Category", "#Count", "Means / team", "Text", "Incident"], &rows);
    banner(&mut b, &r.classification);
    b
}

/// The spot report in Markdown.
pub fn spot(r: &SpotReport) -> String {
    let mut b = String::new();
    banner(&mut b, &r.classification);
    head(&mut b, &r.title, &r.agreement);
    let i = &r.incident;
    let _ = writeln!(b, "- **What**: {} (`{}`), count {}", esc(category_label(i.category)), i.category.id(), i.count);
    let _ = writeln!(b, "- **When**: {} to {}", esc(&r.time_local), esc(&r.time_end_local));
    let _ = writeln!(
        b,
        "- **Where**: {:.5}, {:.5}{} ± {:.0} m, located by {}",
        i.lat,
        i.lon,
        r.mgrs.as_deref().map(|m| format!(" ({m})")).unwrap_or_default(),
        i.uncertainty_m,
        esc(&r.located_by_text)
    );
    let _ = writeln!(b, "- **Sector**: {}", opt(i.sector.as_deref()));
    let _ = writeln!(b, "- **Party**: {}", opt(i.party.as_deref()));
    let _ = writeln!(b, "- **Confidence**: {}", i.confidence.id());
    if let Some(c) = i.casualties {
        let _ = writeln!(b, "- **Civilian casualties**: {} killed, {} injured", c.killed, c.injured);
    }
    b.push_str("\n## Observations\n\n");
    let rows: Vec<Vec<String>> = r
        .observations
        .iter()
        .map(|o| {
            vec![
                format!("`{}`", o.id.replace('`', "'")),
                esc(&o.time_local),
                format!("{} {}", esc(&o.means), opt(o.observer.as_deref())),
                match (o.observer_lat, o.observer_lon) {
                    (Some(a), Some(b)) => format!("{a:.4}, {b:.4}"),
                    _ => "—".into(),
                },
                o.bearing_deg.map_or_else(|| "—".into(), |v| format!("{v:.0}°")),
                o.range_m.map_or_else(|| "—".into(), |v| format!("{:.1} km", v / 1000.0)),
                format!("{:.4}, {:.4}", o.lat, o.lon),
                esc(&o.category),
                opt(o.text.as_deref()),
            ]
        })
        .collect();
    table(
        &mut b,
        &["Id", "Time", "Means / observer", "Observer at", "#Bearing", "#Range", "Reported at", "Category", "Text"],
        &rows,
    );
    b.push_str("## Violations\n\n");
    if r.violations.is_empty() {
        b.push_str("No violation of the agreement.\n\n");
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
                    km(v.actual_m),
                    km(v.required_m),
                ]
            })
            .collect();
        table(&mut b, &["Code", "Zone", "Class", "Party", "#Distance km", "#Required km"], &rows);
    }
    banner(&mut b, &r.classification);
    b
}

/// The status report in Markdown.
pub fn status(r: &StatusReport) -> String {
    let mut b = String::new();
    banner(&mut b, &r.classification);
    head(&mut b, &r.title, &r.agreement);
    let _ = writeln!(
        b,
        "{} reporting periods, {} to {} (UTC). Edition: {}.\n",
        r.by_day.len(),
        esc(&r.start),
        esc(&r.end),
        r.edition.id()
    );
    if let Some(note) = &r.withheld_note {
        let _ = writeln!(b, "> {}\n", esc(note));
    }
    let t = &r.totals;
    let _ = writeln!(
        b,
        "## Totals\n\n{} ceasefire violations ({} incidents, {} reports); {} weapons in violation; {} restrictions of movement; {} instances of GPS jamming; civilian casualties: {} killed, {} injured.\n",
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
    table(&mut b, &["Category", "#CFVs", "#Incidents", "#Reports"], &rows);
    b.push_str("## Per day\n\n");
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
    table(&mut b, &["Date", "#CFVs", "#Incidents", "#Reports", "#Observations"], &rows);
    b.push_str("## Per sector\n\n");
    let rows: Vec<Vec<String>> = r
        .by_sector
        .iter()
        .map(|s| {
            vec![esc(&s.name), s.counts.cfv.to_string(), s.counts.incidents.to_string(), s.counts.reports.to_string()]
        })
        .collect();
    table(&mut b, &["Sector", "#CFVs", "#Incidents", "#Reports"], &rows);
    b.push_str("## Weapons in violation\n\n");
    weapons(&mut b, &r.weapons);
    b.push_str("## Restrictions of freedom of movement\n\n");
    movement(&mut b, &r.freedom_of_movement.restrictions, "No restriction was recorded.");
    b.push_str("### GPS jamming\n\n");
    movement(&mut b, &r.freedom_of_movement.gps_jamming, "No GPS jamming was recorded.");
    b.push_str("## Civilian casualties\n\n");
    casualties(&mut b, &r.civilian_casualties);
    banner(&mut b, &r.classification);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_and_markdown_on_one_line() {
        assert_eq!(esc("<script>a|b</script>"), "&lt;script&gt;a\\|b&lt;/script&gt;");
        assert_eq!(esc("*x* [l](u)\nnext"), "\\*x\\* \\[l\\](u) next");
    }
}
