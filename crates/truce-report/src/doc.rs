//! What each report says, before it is HTML or Markdown: the one place that decides its sections, their
//! order, their sentences and what every table holds.
//!
//! # Design
//!
//! A report model ([`crate::model`]) becomes a [`Doc`]: a head (title, agreement, meta lines, notes)
//! and [`Section`]s of [`Block`]s — paragraphs, sub-headings, key figures, tables, and the graphics only
//! the HTML draws. Both renderers walk the same `Doc`, so the two formats cannot drift apart in what they
//! say; each owns only its layout and its escaping ([`crate::html`], [`crate::md`]).
//!
//! All text here is **plain and unescaped**: a [`Text`] is a run of [`Span`]s (plain, strong, monospace,
//! code, a change, a line break) and each renderer escapes every span for its own format. Observation
//! text is user input and only ever travels as a span, so there is no path around the escaping.
//!
//! Numbers are formatted once, here: [`signed`] changes, [`km`] distances, [`opt`] and its dash for what
//! is missing, four decimals for positions in tables and five for the spot report's best location.

use std::fmt::Display;

use crate::model::{
    AgreementRef, CasualtySection, CfvRow, Counts, DailyReport, FORWARD, MovementRow, OUTSIDE_STORAGE, SectorRow,
    SpotReport, StatusReport, WeaponsSection, category_label,
};

/// What a table or field shows for a missing value.
const DASH: &str = "—";

/// The warning printed under an illustrative agreement.
const ILLUSTRATIVE: &str =
    "The agreement is an invented illustration and the line of contact an approximation: not for operational use.";

// ---------------------------------------------------------------------------------------------------
// Numbers and text.

/// A change with its sign: `+3`, `0`, `-2`.
pub(crate) fn signed(n: i64) -> String {
    if n > 0 { format!("+{n}") } else { n.to_string() }
}

/// Metres as kilometres with one decimal, or a dash.
fn km(m: Option<f64>) -> Text {
    m.map_or_else(|| DASH.into(), |m| format!("{:.1}", m / 1000.0).into())
}

/// The text, or a dash.
fn opt(s: Option<&str>) -> Text {
    s.unwrap_or(DASH).into()
}

/// A number, or a dash.
fn num_opt(n: Option<impl Display>) -> Text {
    n.map_or_else(|| DASH.into(), num)
}

/// A number.
fn num(n: impl Display) -> Text {
    n.to_string().into()
}

/// A position in the tables: latitude, longitude, four decimals (about 10 m).
fn position(lat: f64, lon: f64) -> String {
    format!("{lat:.4}, {lon:.4}")
}

/// One piece of a [`Text`], plain and unescaped.
#[derive(Debug, Clone)]
pub(crate) enum Span {
    /// Ordinary text.
    Plain(String),
    /// Emphasised (the numbers of a sentence, the edition): bold in HTML, plain in Markdown.
    Strong(String),
    /// Coordinates: monospace in HTML, plain in Markdown.
    Mono(String),
    /// An identifier: monospace in HTML, a code span in Markdown.
    Code(String),
    /// A change against the previous period, written by [`signed`] (HTML colours it).
    Change(i64),
    /// A line break inside a cell (HTML breaks the line; Markdown, whose cells are one line, writes ` / `).
    Break,
}

/// A run of spans: a table cell, a sentence, a meta line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Text(pub Vec<Span>);

impl Text {
    fn push(mut self, s: Span) -> Self {
        self.0.push(s);
        self
    }

    fn plain(self, s: impl Into<String>) -> Self {
        self.push(Span::Plain(s.into()))
    }

    fn strong(self, s: impl Display) -> Self {
        self.push(Span::Strong(s.to_string()))
    }

    fn mono(self, s: impl Into<String>) -> Self {
        self.push(Span::Mono(s.into()))
    }

    fn code(self, s: impl Into<String>) -> Self {
        self.push(Span::Code(s.into()))
    }

    fn line_break(self) -> Self {
        self.push(Span::Break)
    }

    /// Appends `other`'s spans.
    fn and(mut self, other: Text) -> Self {
        self.0.extend(other.0);
        self
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(vec![Span::Plain(s)])
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        s.to_owned().into()
    }
}

impl From<Span> for Text {
    fn from(s: Span) -> Self {
        Text(vec![s])
    }
}

// ---------------------------------------------------------------------------------------------------
// Tables, blocks, sections.

/// A table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    /// The header.
    pub title: &'static str,
    /// A number: right-aligned.
    pub numeric: bool,
}

/// A table: what each column and each cell holds, as plain text.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, a cell per column.
    pub rows: Vec<Vec<Text>>,
    /// A total row, set apart.
    pub total: Option<Vec<Text>>,
}

impl Table {
    /// A table of text columns titled `titles`.
    fn new(titles: &[&'static str], rows: Vec<Vec<Text>>) -> Self {
        let columns = titles.iter().map(|&title| Column { title, numeric: false }).collect();
        Self { columns, rows, total: None }
    }

    /// Makes the columns titled `titles` numeric.
    fn numeric(mut self, titles: &[&str]) -> Self {
        debug_assert!(titles.iter().all(|t| self.columns.iter().any(|c| c.title == *t)), "{titles:?}");
        for c in &mut self.columns {
            c.numeric = titles.contains(&c.title);
        }
        self
    }

    fn total(mut self, total: Vec<Text>) -> Self {
        self.total = Some(total);
        self
    }

    /// The table, or `none` when it has no rows.
    fn or_say(self, none: &'static str) -> Block {
        if self.rows.is_empty() { Block::Para(none.into()) } else { Block::Table(self) }
    }
}

/// What only the HTML draws (charts and maps); Markdown leaves it out. The HTML draws each from the
/// report it renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Graphic {
    /// CFVs per category, this period and the previous one.
    CfvByCategory,
    /// CFVs per sector, this period and the previous one.
    CfvBySector,
    /// The period's violations on a map.
    PeriodMap,
    /// The spot report's incident, its reports and observers on a map.
    IncidentMap,
    /// CFVs per reporting period of a status report.
    CfvPerDay,
}

/// One part of a section.
#[derive(Debug, Clone)]
pub(crate) enum Block {
    /// A paragraph.
    Para(Text),
    /// A paragraph that explains rather than reports (set smaller in HTML).
    Meta(Text),
    /// A sub-heading.
    Sub(&'static str),
    /// The headline numbers: label and value.
    Figures(Vec<(&'static str, Text)>),
    /// Labelled details of one thing: label and value.
    Fields(Vec<(&'static str, Text)>),
    /// A table.
    Table(Table),
    /// A chart or a map.
    Graphic(Graphic),
}

/// How a section's heading reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Heading {
    /// Numbered in order (the daily report's sections).
    Numbered,
    /// Just the title.
    Plain,
    /// An annex: unnumbered, and starting a new printed page.
    Annex,
}

/// A section: its heading and blocks.
#[derive(Debug, Clone)]
pub(crate) struct Section {
    /// The title.
    pub title: &'static str,
    /// How its heading reads.
    pub heading: Heading,
    /// The blocks, in order.
    pub blocks: Vec<Block>,
}

impl Section {
    fn new(title: &'static str, heading: Heading, blocks: Vec<Block>) -> Self {
        Self { title, heading, blocks }
    }

    /// Whether it holds nothing but graphics (which Markdown leaves out).
    pub(crate) fn only_graphics(&self) -> bool {
        self.blocks.iter().all(|b| matches!(b, Block::Graphic(_)))
    }
}

/// A report ready to render.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    /// The title.
    pub title: String,
    /// The highest classification (the banner's colour).
    pub classification: String,
    /// The banner: the label of what the report includes.
    pub banner: String,
    /// The agreement it is made against, one line.
    pub agreement: Text,
    /// The warning of an illustrative agreement.
    pub warning: Option<&'static str>,
    /// Period, edition and the like, a line each.
    pub meta: Vec<Text>,
    /// What the public edition withheld.
    pub note: Option<String>,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

impl Doc {
    fn new(title: &str, classification: &str, banner: &str, agreement: &AgreementRef, meta: Vec<Text>) -> Self {
        Self {
            title: title.to_owned(),
            classification: classification.to_owned(),
            banner: banner.to_owned(),
            agreement: Text::default()
                .plain(format!("Agreement: {} (", agreement.title))
                .code(&agreement.id)
                .plain(format!(", version {})", agreement.version)),
            warning: agreement.illustrative.then_some(ILLUSTRATIVE),
            meta,
            note: None,
            sections: Vec::new(),
        }
    }

    /// The sections a renderer shows (all but those `leave_out` says), each with its heading: the title,
    /// after its number when numbered (counting the sections shown only).
    pub(crate) fn headed(&self, leave_out: impl Fn(&Section) -> bool) -> Vec<(String, &Section)> {
        let mut number = 0;
        let mut shown = Vec::new();
        for s in self.sections.iter().filter(|s| !leave_out(s)) {
            let heading = match s.heading {
                Heading::Numbered => {
                    number += 1;
                    format!("{number}. {}", s.title)
                }
                Heading::Plain | Heading::Annex => s.title.to_owned(),
            };
            shown.push((heading, s));
        }
        shown
    }
}

// ---------------------------------------------------------------------------------------------------
// The sections reports share.

/// A row of name, CFVs, incidents, reports, previous period, change and cumulative.
fn comparison_cells(name: &str, counts: Counts, previous: u64, change: i64, cumulative: Option<u64>) -> Vec<Text> {
    vec![
        name.into(),
        num(counts.cfv),
        num(counts.incidents),
        num(counts.reports),
        num(previous),
        Span::Change(change).into(),
        num_opt(cumulative),
    ]
}

fn cfv_cells(r: &CfvRow) -> Vec<Text> {
    comparison_cells(&r.label, r.counts, r.previous_cfv, r.change, r.cumulative_cfv)
}

fn sector_cells(r: &SectorRow) -> Vec<Text> {
    comparison_cells(&r.name, r.counts, r.previous_cfv, r.change, r.cumulative_cfv)
}

/// A row of name, CFVs, incidents and reports.
fn count_cells(name: &str, c: Counts) -> Vec<Text> {
    vec![name.into(), num(c.cfv), num(c.incidents), num(c.reports)]
}

fn code_label(code: &str) -> &'static str {
    match code {
        FORWARD => "forward of withdrawal line",
        OUTSIDE_STORAGE => "outside storage site",
        _ => "other",
    }
}

/// The weapons in violation: a sentence with both counts, and a row per incident and violation.
fn weapons(w: &WeaponsSection) -> Vec<Block> {
    let rows = w
        .rows
        .iter()
        .map(|r| {
            vec![
                r.time_local.as_str().into(),
                code_label(&r.code).into(),
                opt(r.class.as_deref()),
                opt(r.party.as_deref()),
                num(r.count),
                km(r.actual_m),
                km(r.required_m),
                opt(r.sector.as_deref()),
                Span::Mono(position(r.lat, r.lon)).into(),
                opt(r.text.as_deref()),
            ]
        })
        .collect();
    let sentence = Text::default()
        .strong(w.forward_of_withdrawal_line)
        .plain(" weapons in violation of the respective withdrawal lines; ")
        .strong(w.outside_storage_site)
        .plain(" beyond the lines but outside designated storage sites.");
    let mut blocks = vec![Block::Para(sentence)];
    if !w.rows.is_empty() {
        blocks.push(Block::Table(
            Table::new(
                &[
                    "Time",
                    "Violation",
                    "Class",
                    "Party",
                    "Count",
                    "Distance km",
                    "Required km",
                    "Sector",
                    "Position",
                    "Report",
                ],
                rows,
            )
            .numeric(&["Count", "Distance km", "Required km"]),
        ));
    }
    blocks
}

/// Restrictions of movement or GPS jamming.
fn movement(rows: &[MovementRow], none: &'static str) -> Block {
    let rows = rows
        .iter()
        .map(|r| {
            vec![
                r.time_local.as_str().into(),
                opt(r.party.as_deref()),
                opt(r.reason.as_deref()),
                r.observers.join(", ").into(),
                opt(r.sector.as_deref()),
                Span::Mono(position(r.lat, r.lon)).into(),
                opt(r.text.as_deref()),
            ]
        })
        .collect();
    Table::new(&["Time", "Party", "Reason cited", "Reported by", "Sector", "Position", "Report"], rows).or_say(none)
}

const NO_RESTRICTION: &str = "No restriction was recorded.";
const NO_JAMMING: &str = "No GPS jamming was recorded.";

/// Civilian casualties: a sentence with the totals, and a row per incident.
fn casualties(c: &CasualtySection) -> Vec<Block> {
    let rows = c
        .rows
        .iter()
        .map(|r| {
            vec![
                r.time_local.as_str().into(),
                r.category.as_str().into(),
                num(r.killed),
                num(r.injured),
                opt(r.sector.as_deref()),
                opt(r.text.as_deref()),
            ]
        })
        .collect();
    let mut blocks = vec![Block::Para(
        Text::default().strong(c.killed).plain(" civilians killed, ").strong(c.injured).plain(" injured."),
    )];
    if !c.rows.is_empty() {
        let titles = ["Time", "Category", "Killed", "Injured", "Sector", "Report"];
        blocks.push(Block::Table(Table::new(&titles, rows).numeric(&["Killed", "Injured"])));
    }
    blocks
}

// ---------------------------------------------------------------------------------------------------
// The daily report.

/// The daily report: summary, ceasefire violations, map, weapons, disengagement areas, freedom of
/// movement, civilian casualties, and the annexed observations.
pub(crate) fn daily(r: &DailyReport) -> Doc {
    let p = &r.period;
    let meta = vec![
        format!(
            "Reporting period: {} to {} ({} h; UTC {} to {}). Compared with the previous period, {} to {}.",
            p.start_local,
            p.end_local,
            p.hours,
            p.start,
            p.end,
            r.previous_period.start_local,
            r.previous_period.end_local
        )
        .into(),
        Text::default().plain("Edition: ").strong(r.edition.id()).plain(format!(
            ". Cumulative counts since {}.",
            r.cumulative_since.as_deref().unwrap_or("— (the agreement has no effective date)")
        )),
    ];
    let mut d = Doc::new(&r.title, &r.classification, &r.label.banner, &r.agreement, meta);
    d.note = r.withheld.note.clone();
    let n = Heading::Numbered;

    let s = &r.summary;
    let mut summary = vec![Block::Figures(vec![
        ("Ceasefire violations", num(s.cfv)),
        ("Change", Span::Change(s.cfv_change).into()),
        ("Since the agreement", num_opt(s.cfv_cumulative)),
        ("Incidents / reports", format!("{} / {}", s.incidents, s.reports).into()),
        ("Weapons in violation", num(s.weapons_in_violation)),
        ("Restrictions", num(s.restrictions)),
        ("Civilians killed / injured", format!("{} / {}", s.killed, s.injured).into()),
    ])];
    summary.extend(s.text.iter().map(|t| Block::Para(t.as_str().into())));
    d.sections.push(Section::new("Summary", n, summary));

    let cfv = &r.ceasefire_violations;
    let by = |first: &'static str, rows: Vec<Vec<Text>>| {
        let titles = [first, "CFVs", "Incidents", "Reports", "Previous period", "Change", "Cumulative"];
        Block::Table(Table::new(&titles, rows).numeric(&titles[1..]).total(cfv_cells(&cfv.total)))
    };
    d.sections.push(Section::new(
        "Ceasefire violations",
        n,
        vec![
            Block::Meta(
                "Counted on incidents: one event seen by several monitors is one incident; the CFVs of a category are the sum of its incidents' counts. Reports are the observations behind them."
                    .into(),
            ),
            Block::Sub("By category"),
            by("Category", cfv.by_category.iter().map(cfv_cells).collect()),
            Block::Graphic(Graphic::CfvByCategory),
            Block::Sub("By sector"),
            by("Sector", cfv.by_sector.iter().map(sector_cells).collect()),
            Block::Graphic(Graphic::CfvBySector),
        ],
    ));

    d.sections.push(Section::new("Map of the period's violations", n, vec![Block::Graphic(Graphic::PeriodMap)]));

    let mut weapons = weapons(&r.weapons);
    let storage = r
        .storage_sites
        .iter()
        .map(|s| {
            vec![
                s.time_local.as_str().into(),
                s.site_name.as_str().into(),
                opt(s.class.as_deref()),
                opt(s.party.as_deref()),
                num(s.count),
                opt(s.text.as_deref()),
            ]
        })
        .collect();
    weapons.push(Block::Sub("Storage sites"));
    weapons.push(
        Table::new(&["Time", "Site", "Class", "Party", "Present", "Report"], storage)
            .numeric(&["Present"])
            .or_say("No storage site was visited in the period."),
    );
    d.sections.push(Section::new("Weapons in violation of withdrawal lines and outside storage sites", n, weapons));

    let zones = r
        .disengagement_areas
        .iter()
        .map(|z| {
            vec![
                z.time_local.as_str().into(),
                opt(z.zone_name.as_deref().or(z.zone.as_deref())),
                z.category.as_str().into(),
                num(z.count),
                opt(z.party.as_deref()),
                opt(z.text.as_deref()),
            ]
        })
        .collect();
    d.sections.push(Section::new(
        "Disengagement areas",
        n,
        vec![
            Table::new(&["Time", "Area", "Category", "Count", "Party", "Report"], zones)
                .numeric(&["Count"])
                .or_say("No violation was recorded inside the disengagement areas."),
        ],
    ));

    let fom = &r.freedom_of_movement;
    d.sections.push(Section::new(
        "Freedom of movement",
        n,
        vec![
            Block::Para(
                Text::default()
                    .plain("Restrictions of the monitors' freedom of movement: ")
                    .strong(fom.restrictions.len())
                    .plain("; instances of GPS jamming: ")
                    .strong(fom.gps_jamming.len())
                    .plain("."),
            ),
            Block::Sub("Restrictions"),
            movement(&fom.restrictions, NO_RESTRICTION),
            Block::Sub("GPS jamming"),
            movement(&fom.gps_jamming, NO_JAMMING),
        ],
    ));

    d.sections.push(Section::new("Civilian casualties", n, casualties(&r.civilian_casualties)));

    let annex = r
        .annex
        .iter()
        .map(|a| {
            let mut place = Text::default().mono(position(a.lat, a.lon));
            if let Some(m) = &a.mgrs {
                place = place.line_break().mono(m);
            }
            vec![
                Span::Code(a.id.clone()).into(),
                a.time_local.as_str().into(),
                place,
                a.category.as_str().into(),
                num_opt(a.count),
                Text::default().plain(&a.means).line_break().and(opt(a.team.as_deref())),
                opt(a.text.as_deref()),
                opt(a.incident.as_deref()),
            ]
        })
        .collect();
    if !r.corrections.is_empty() {
        let rows = r
            .corrections
            .iter()
            .map(|c| {
                vec![
                    c.id.as_str().into(),
                    c.version.to_string().into(),
                    c.change.as_str().into(),
                    c.at.as_str().into(),
                    c.by.as_str().into(),
                    c.reason.as_str().into(),
                ]
            })
            .collect();
        d.sections.push(Section::new(
            "Corrections since this report was first issued",
            n,
            vec![
                Block::Meta(
                    "Observations of this period amended or withdrawn after the period ended; the counts above use their current versions, and withdrawn observations are counted nowhere."
                        .into(),
                ),
                Block::Table(Table::new(&["Id", "Version", "Change", "When (UTC)", "By", "Reason"], rows).numeric(&["Version"])),
            ],
        ));
    }
    d.sections.push(Section::new(
        "Annex: the period's observations",
        Heading::Annex,
        vec![
            Block::Meta(format!("{} observations, times in {} local time.", r.annex.len(), p.tz).into()),
            Block::Table(
                Table::new(
                    &["Id", "Time", "Place (lat, lon; MGRS)", "Category", "Count", "Means / team", "Text", "Incident"],
                    annex,
                )
                .numeric(&["Count"]),
            ),
        ],
    ));
    d
}

// ---------------------------------------------------------------------------------------------------
// The spot report.

/// The spot report: what, when and where; a map; the observations; the violations.
pub(crate) fn spot(r: &SpotReport) -> Doc {
    let i = &r.incident;
    let meta = vec![Text::default().plain("Edition: ").strong(r.edition.id()).plain(format!(". Times in {}.", r.tz))];
    let mut d = Doc::new(&r.title, &r.classification, &r.label.banner, &r.agreement, meta);
    let mut at = Text::default().mono(format!("{:.5}, {:.5}", i.lat, i.lon));
    if let Some(m) = &r.mgrs {
        at = at.plain(" (").mono(m).plain(")");
    }
    let at = at.plain(format!(" ± {:.0} m, located by {}", i.uncertainty_m, r.located_by_text));
    let fields = vec![
        ("Incident", Span::Code(i.id.clone()).into()),
        ("What", format!("{} ({}), count {}", category_label(i.category), i.category.id(), i.count).into()),
        ("Weapon class", opt(i.weapon_class.as_deref())),
        ("Party", opt(i.party.as_deref())),
        ("When", format!("{} to {}", r.time_local, r.time_end_local).into()),
        ("Where", at),
        ("Sector", opt(i.sector.as_deref())),
        ("Confidence", i.confidence.id().into()),
        (
            "Civilian casualties",
            i.casualties.map_or_else(|| DASH.into(), |c| format!("{} killed, {} injured", c.killed, c.injured).into()),
        ),
    ];
    d.sections.push(Section::new("What, when, where", Heading::Plain, vec![Block::Fields(fields)]));
    d.sections.push(Section::new("Map", Heading::Plain, vec![Block::Graphic(Graphic::IncidentMap)]));

    let observations = r
        .observations
        .iter()
        .map(|o| {
            vec![
                Span::Code(o.id.clone()).into(),
                o.time_local.as_str().into(),
                Text::default().plain(&o.means).line_break().and(opt(o.observer.as_deref())),
                match (o.observer_lat, o.observer_lon) {
                    (Some(a), Some(b)) => Span::Mono(position(a, b)).into(),
                    _ => DASH.into(),
                },
                num_opt(o.bearing_deg.map(|v| format!("{v:.0}°"))),
                num_opt(o.range_m.map(|v| format!("{:.1} km", v / 1000.0))),
                Text::default().mono(position(o.lat, o.lon)).line_break().plain(&o.location_precision),
                o.category.as_str().into(),
                num_opt(o.count),
                opt(o.text.as_deref()),
            ]
        })
        .collect();
    d.sections.push(Section::new(
        "Observations",
        Heading::Plain,
        vec![Block::Table(
            Table::new(
                &[
                    "Id",
                    "Time",
                    "Means / observer",
                    "Observer at",
                    "Bearing",
                    "Range",
                    "Reported at",
                    "Category",
                    "Count",
                    "Text",
                ],
                observations,
            )
            .numeric(&["Bearing", "Range", "Count"]),
        )],
    ));

    let violations = r
        .violations
        .iter()
        .map(|v| {
            vec![
                v.code.as_str().into(),
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
    d.sections.push(Section::new(
        "Violations",
        Heading::Plain,
        vec![
            Table::new(&["Code", "Zone", "Class", "Party", "Line", "Distance km", "Required km", "Phase"], violations)
                .numeric(&["Distance km", "Required km"])
                .or_say("No violation of the agreement."),
        ],
    ));
    d
}

// ---------------------------------------------------------------------------------------------------
// The status report.

/// The status report: totals, per day, per sector, weapons, freedom of movement, civilian casualties.
pub(crate) fn status(r: &StatusReport) -> Doc {
    let meta = vec![
        Text::default()
            .plain(format!("{} reporting periods, {} to {} (UTC); edition ", r.by_day.len(), r.start, r.end))
            .strong(r.edition.id())
            .plain("."),
    ];
    let mut d = Doc::new(&r.title, &r.classification, &r.label.banner, &r.agreement, meta);
    d.note = r.withheld_note.clone();
    let p = Heading::Plain;
    let t = &r.totals;
    let by = |first: &'static str, rows: Vec<Vec<Text>>| {
        let titles = [first, "CFVs", "Incidents", "Reports"];
        Table::new(&titles, rows).numeric(&titles[1..])
    };
    d.sections.push(Section::new(
        "Totals",
        p,
        vec![
            Block::Figures(vec![
                ("Ceasefire violations", num(t.counts.cfv)),
                ("Incidents / reports", format!("{} / {}", t.counts.incidents, t.counts.reports).into()),
                ("Weapons in violation", num(t.weapons_in_violation)),
                ("Restrictions", num(t.restrictions)),
                ("GPS jamming", num(t.gps_jamming)),
                ("Civilians killed / injured", format!("{} / {}", t.killed, t.injured).into()),
            ]),
            Block::Table(
                by("Category", r.by_category.iter().map(|c| count_cells(&c.label, c.counts)).collect())
                    .total(count_cells("Total", t.counts)),
            ),
        ],
    ));
    const DAY_TITLES: [&str; 5] = ["Date", "CFVs", "Incidents", "Reports", "Observations"];
    let days = r
        .by_day
        .iter()
        .map(|day| {
            let mut cells = count_cells(&day.date, day.counts);
            cells.push(num(day.observations));
            cells
        })
        .collect();
    d.sections.push(Section::new(
        "Per day",
        p,
        vec![Block::Graphic(Graphic::CfvPerDay), Block::Table(Table::new(&DAY_TITLES, days).numeric(&DAY_TITLES[1..]))],
    ));
    let sectors = by("Sector", r.by_sector.iter().map(|s| count_cells(&s.name, s.counts)).collect());
    d.sections.push(Section::new("Per sector", p, vec![Block::Table(sectors)]));
    d.sections.push(Section::new("Weapons in violation", p, weapons(&r.weapons)));
    let fom = &r.freedom_of_movement;
    d.sections.push(Section::new(
        "Restrictions of freedom of movement",
        p,
        vec![
            movement(&fom.restrictions, NO_RESTRICTION),
            Block::Sub("GPS jamming"),
            movement(&fom.gps_jamming, NO_JAMMING),
        ],
    ));
    d.sections.push(Section::new("Civilian casualties", p, casualties(&r.civilian_casualties)));
    d
}

/// A small document with hostile text everywhere text can go, for the renderers' tests.
#[cfg(test)]
pub(crate) fn sample() -> Doc {
    let hostile = "<script>alert('x')</script> & *y* | [l](u)";
    let mut d = Doc::new(
        "Title <b>",
        "NATO UNCLASSIFIED",
        "NATO UNCLASSIFIED",
        &AgreementRef {
            id: "id`<i>".into(),
            title: "T".into(),
            version: "1".into(),
            illustrative: true,
            effective: None,
        },
        vec![Text::default().plain("Edition: ").strong("public")],
    );
    d.note = Some(hostile.into());
    let table = Table::new(
        &["Name", "Change", "Position"],
        vec![vec![hostile.into(), Span::Change(-2).into(), Text::default().mono("1, 2").line_break().code(hostile)]],
    )
    .numeric(&["Change"])
    .total(vec!["Total".into(), Span::Change(3).into(), DASH.into()]);
    d.sections = vec![
        Section::new(
            "First",
            Heading::Numbered,
            vec![Block::Para(hostile.into()), Block::Figures(vec![("Change", Span::Change(0).into())])],
        ),
        Section::new("Map", Heading::Numbered, vec![Block::Graphic(Graphic::PeriodMap)]),
        Section::new(
            "Second",
            Heading::Numbered,
            vec![
                Block::Sub("Sub"),
                Block::Table(table),
                Block::Fields(vec![("What", hostile.into()), ("Id", Span::Code("inc-<1>".into()).into())]),
            ],
        ),
        Section::new("Empty", Heading::Numbered, vec![Table::new(&["A"], vec![]).or_say("None.")]),
        Section::new("Annex", Heading::Annex, vec![Block::Meta(hostile.into())]),
    ];
    d
}
