//! The marker-template wizard («Мастер шаблона заявки»): steps and their rules.

use crate::domain::{Lead, Level, Marker, MarkerPath, Origin, Responsible};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum WizardStep {
    #[default]
    Source,
    Marker,
    Defaults,
    Summary,
}

impl WizardStep {
    pub fn title(self) -> &'static str {
        match self {
            WizardStep::Source => "Шаг 1 из 4. Источник получения заявок",
            WizardStep::Marker => "Шаг 2 из 4. Roistat маркер",
            WizardStep::Defaults => "Шаг 3 из 4. Шаблон и значения по умолчанию",
            WizardStep::Summary => "Шаг 4 из 4. Проверка",
        }
    }
    pub fn next(self) -> WizardStep {
        match self {
            WizardStep::Source => WizardStep::Marker,
            WizardStep::Marker => WizardStep::Defaults,
            WizardStep::Defaults | WizardStep::Summary => WizardStep::Summary,
        }
    }
    pub fn back(self) -> WizardStep {
        match self {
            WizardStep::Source | WizardStep::Marker => WizardStep::Source,
            WizardStep::Defaults => WizardStep::Marker,
            WizardStep::Summary => WizardStep::Defaults,
        }
    }
}

/// What the marker field says as the manager types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MarkerCheck {
    Empty,
    Error(String),
    /// Valid; the preview of its levels, and a warning when it is only digits.
    Valid {
        preview: String,
        warning: Option<String>,
    },
}

impl MarkerCheck {
    pub fn is_valid(&self) -> bool {
        matches!(self, MarkerCheck::Valid { .. })
    }
}

pub fn check_marker(text: &str) -> MarkerCheck {
    if text.is_empty() {
        return MarkerCheck::Empty;
    }
    match Marker::parse_source(text) {
        Err(e) => MarkerCheck::Error(e.to_string()),
        Ok(marker) if marker.is_visit_number() => MarkerCheck::Valid {
            preview: "Номер визита".into(),
            warning: Some(
                "Только цифры Roistat считает номером визита, а не источником: добавьте буквы, например offline_"
                    .into(),
            ),
        },
        Ok(marker) => MarkerCheck::Valid { preview: marker.levels_preview(), warning: None },
    }
}

/// What the wizard collects.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateDraft {
    pub lead_source_id: Option<u64>,
    pub marker: String,
    pub name: String,
    pub title: String,
    pub status_id: Option<u64>,
    pub responsible: Option<Responsible>,
    pub extra: BTreeMap<String, String>,
}

impl Default for TemplateDraft {
    fn default() -> Self {
        TemplateDraft {
            lead_source_id: None,
            marker: String::new(),
            name: "Шаблон".into(),
            title: String::new(),
            status_id: None,
            responsible: None,
            extra: BTreeMap::new(),
        }
    }
}

impl TemplateDraft {
    /// Whether «Далее» may go on from `step`, and if not, why.
    pub fn can_leave(&self, step: WizardStep) -> Result<(), String> {
        match step {
            WizardStep::Source if self.lead_source_id.is_none() => {
                Err("Выберите источник получения заявок типа Roistat или создайте его".into())
            }
            WizardStep::Marker => match check_marker(&self.marker) {
                MarkerCheck::Valid { .. } => Ok(()),
                MarkerCheck::Empty => Err("Введите Roistat маркер или выберите его из списка".into()),
                MarkerCheck::Error(e) => Err(e),
            },
            WizardStep::Defaults if self.name.trim().is_empty() => Err("Укажите наименование шаблона".into()),
            _ => Ok(()),
        }
    }

    /// How the source will look in Roistat: `offline › fair2026`.
    pub fn roistat_path(&self) -> String {
        Marker::parse(&self.marker).map(|m| m.levels().join(" › ")).unwrap_or_default()
    }

    /// The template lead «Готово» creates (never exported, never counted).
    pub fn to_template(&self, now: jiff::Timestamp) -> Result<Lead, String> {
        for step in [WizardStep::Source, WizardStep::Marker, WizardStep::Defaults] {
            self.can_leave(step)?;
        }
        let marker = Marker::parse_source(&self.marker).map_err(|e| e.to_string())?;
        let mut extra = self.extra.clone();
        extra.retain(|_, v| !v.is_empty());
        Ok(Lead {
            created: now,
            updated: now,
            title: if self.title.trim().is_empty() {
                self.name.trim().to_string()
            } else {
                self.title.trim().to_string()
            },
            text: format!("Шаблон «{}»", self.name.trim()),
            status_id: self.status_id,
            marker: Some(marker),
            lead_source_id: self.lead_source_id,
            responsible: self.responsible,
            extra,
            origin: Origin::Manual,
            is_template: true,
            ..Lead::default()
        })
    }
}

/// One channel of the known markers with its sources and their campaigns, as the facts name them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerChannel {
    pub level: Level,
    pub sources: Vec<(Level, Vec<Level>)>,
}

/// The markers known from the analytics facts: the channel → source → campaign tree, with titles.
pub fn known_markers(paths: &[MarkerPath]) -> Vec<MarkerChannel> {
    type Sources<'a> = BTreeMap<&'a str, (Level, BTreeSet<Level>)>;
    let mut tree: BTreeMap<&str, (Level, Sources<'_>)> = BTreeMap::new();
    for MarkerPath { channel, source, campaign } in paths {
        if channel.value.is_empty() {
            continue;
        }
        let (_, sources) = tree.entry(&channel.value).or_insert_with(|| (channel.clone(), BTreeMap::new()));
        if source.value.is_empty() {
            continue;
        }
        let (_, campaigns) = sources.entry(&source.value).or_insert_with(|| (source.clone(), BTreeSet::new()));
        if !campaign.value.is_empty() {
            campaigns.insert(campaign.clone());
        }
    }
    tree.into_values()
        .map(|(level, sources)| MarkerChannel {
            level,
            sources: sources.into_values().map(|(s, c)| (s, c.into_iter().collect())).collect(),
        })
        .collect()
}

/// The marker for a path of levels: `direct_brand_ad1`.
pub fn marker_for_levels(levels: &[&Level]) -> String {
    levels.iter().map(|l| l.value.as_str()).collect::<Vec<_>>().join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_step_blocks_invalid_markers() {
        let mut draft = TemplateDraft { lead_source_id: Some(1), marker: "offline fair".into(), ..Default::default() };
        assert!(draft.can_leave(WizardStep::Marker).unwrap_err().contains("пробелы"));
        draft.marker = "offline/fair2026".into();
        assert_eq!(
            check_marker(&draft.marker),
            MarkerCheck::Valid {
                preview: "Уровень 1: offline · Уровень 2: fair2026".into(), warning: None
            }
        );
        assert!(draft.can_leave(WizardStep::Marker).is_ok());
        assert_eq!(draft.roistat_path(), "offline › fair2026");
        let template = draft.to_template(jiff::Timestamp::UNIX_EPOCH).unwrap();
        assert!(template.is_template && !template.is_exportable());
        assert!(matches!(check_marker("12345"), MarkerCheck::Valid { warning: Some(_), .. }));
    }

    #[test]
    fn known_markers_tree() {
        let path = |a: &str, b: &str, c: &str| {
            MarkerPath::new(Level::new(a, a.to_uppercase()), Level::new(b, ""), Level::new(c, ""))
        };
        let paths = vec![path("seo", "yandex", ""), path("direct", "brand", "ad1"), path("direct", "brand", "ad2")];
        let tree = known_markers(&paths);
        assert_eq!(tree.len(), 2);
        assert_eq!(tree[0].level.value, "direct");
        assert_eq!(tree[0].sources[0].1.len(), 2);
        assert_eq!(marker_for_levels(&[&tree[0].level, &tree[0].sources[0].0]), "direct_brand");
        assert!(tree[1].sources[0].1.is_empty());
    }
}
