//! The leads list: filters, search and a virtualised table with multi-select.

use super::{Action, LeadsScreen};
use crate::domain::{LeadId, Origin, PeriodPreset};
use crate::leads::{LeadColumn, LeadFilter, LeadList, LeadRow, MarkerFilter};
use egui_extras::{Column, TableBuilder};
use jiff::{Timestamp, ToSpan};
use std::collections::BTreeSet;

/// What the list shows and what is selected; the filter is applied only when it changes.
pub(crate) struct ListView {
    pub filter: LeadFilter,
    pub period: PeriodPreset,
    pub sort: LeadColumn,
    pub descending: bool,
    pub selection: BTreeSet<LeadId>,
    /// The row Shift+click extends from (an index into the visible rows).
    pub anchor: Option<usize>,
    /// The current row: Enter opens it, F9 copies it.
    pub cursor: Option<LeadId>,
    pub focus_search: bool,
    /// «Произвольный» period as typed: `ДД.ММ.ГГГГ`, both days included.
    pub custom_from: String,
    pub custom_to: String,
    /// A row the keyboard moved to: the table scrolls it into view on the next frame.
    pub scroll_to: Option<usize>,
    /// Rows that fit on the screen, for PageUp/PageDown (measured by the table).
    pub page_rows: usize,
    applied: Option<(LeadFilter, LeadColumn, bool)>,
}

/// Where a key moves the current row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Move {
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
}

impl Default for ListView {
    /// Newest first, as a manager reads the list.
    fn default() -> Self {
        ListView {
            filter: LeadFilter::default(),
            period: PeriodPreset::All,
            sort: LeadColumn::Created,
            descending: true,
            selection: BTreeSet::new(),
            anchor: None,
            cursor: None,
            focus_search: false,
            custom_from: String::new(),
            custom_to: String::new(),
            scroll_to: None,
            page_rows: 20,
            applied: None,
        }
    }
}

impl ListView {
    /// The data changed: re-filter on the next frame.
    pub fn invalidate(&mut self) {
        self.applied = None;
    }

    pub fn set_templates(&mut self, templates: bool) {
        if self.filter.templates != templates {
            self.filter.templates = templates;
            self.selection.clear();
            self.anchor = None;
            self.cursor = None;
        }
    }

    /// Filters and sorts 100,000 rows only when something changed, not every frame.
    pub fn apply_if_changed(&mut self, list: &mut LeadList) {
        let wanted = (self.filter.clone(), self.sort, self.descending);
        if self.applied.as_ref() != Some(&wanted) {
            list.apply(&self.filter, self.sort, self.descending);
            self.applied = Some(wanted);
            self.anchor = None;
            // What a filter hides is no longer selected: no action may reach a row nobody sees.
            if !self.selection.is_empty() {
                let visible: BTreeSet<LeadId> = list.visible().map(|r| r.id).collect();
                self.selection.retain(|id| visible.contains(id));
                if self.cursor.is_some_and(|id| !visible.contains(&id)) {
                    self.cursor = None;
                }
            }
        }
    }

    /// «Сбросить фильтры»: everything but the tab (leads or templates) back to the start.
    pub fn reset_filters(&mut self) {
        let templates = self.filter.templates;
        self.filter = LeadFilter { templates, ..LeadFilter::default() };
        self.period = PeriodPreset::All;
        self.custom_from.clear();
        self.custom_to.clear();
    }

    /// Moves the current row by a key (↑/↓, PageUp/PageDown, Home/End); with Shift the selection
    /// stretches from the anchor, else it is the current row alone.
    pub fn move_cursor(&mut self, list: &LeadList, to: Move, extend: bool) {
        let len = list.visible_len();
        if len == 0 {
            return;
        }
        let at = self.cursor.and_then(|id| list.visible().position(|r| r.id == id));
        let page = self.page_rows.max(1);
        let next = match (at, to) {
            (None, Move::Up | Move::PageUp | Move::Last) => len - 1,
            (None, _) => 0,
            (Some(i), Move::Up) => i.saturating_sub(1),
            (Some(i), Move::Down) => (i + 1).min(len - 1),
            (Some(i), Move::PageUp) => i.saturating_sub(page),
            (Some(i), Move::PageDown) => (i + page).min(len - 1),
            (Some(_), Move::First) => 0,
            (Some(_), Move::Last) => len - 1,
        };
        let Some(row) = list.visible_row(next) else { return };
        let id = row.id;
        if extend {
            let from = self.anchor.or(at).unwrap_or(next);
            let (a, b) = (from.min(next), from.max(next));
            self.selection = (a..=b).filter_map(|i| list.visible_row(i)).map(|r| r.id).collect();
            self.anchor = Some(from);
        } else {
            self.selection.clear();
            self.selection.insert(id);
            self.anchor = Some(next);
        }
        self.cursor = Some(id);
        self.scroll_to = Some(next);
    }

    /// The selected rows that the list shows now, in the list's order.
    pub fn visible_selection(&self, list: &LeadList) -> Vec<LeadId> {
        list.visible().filter(|r| self.selection.contains(&r.id)).map(|r| r.id).collect()
    }

    fn click(&mut self, list: &LeadList, index: usize, id: LeadId, modifiers: egui::Modifiers) {
        if modifiers.shift {
            let from = self.anchor.unwrap_or(index);
            let (a, b) = (from.min(index), from.max(index));
            if !modifiers.command {
                self.selection.clear();
            }
            self.selection.extend((a..=b).filter_map(|i| list.visible_row(i)).map(|r| r.id));
        } else if modifiers.command {
            if !self.selection.remove(&id) {
                self.selection.insert(id);
            }
            self.anchor = Some(index);
        } else {
            self.selection.clear();
            self.selection.insert(id);
            self.anchor = Some(index);
        }
        self.cursor = Some(id);
    }
}

/// Starts a new line of a wrapping row unless `width` more pixels fit: a label stays with its field.
fn keep_together(ui: &mut egui::Ui, width: f32) {
    // In a wrapping row `available_width` is the whole row's; what is left is up to the cursor.
    if ui.max_rect().right() - ui.cursor().min.x < width {
        ui.end_row();
    }
}

/// `[from, to)` of a typed period in `tz`, both days included; `None` until both dates read.
fn custom_range(from: &str, to: &str, tz: &jiff::tz::TimeZone) -> Option<(Timestamp, Timestamp)> {
    let start_of = |d: jiff::civil::Date| d.to_zoned(tz.clone()).ok().map(|z| z.timestamp());
    let (from, to) = (
        crate::ui::widgets::calendar::parse_typed_date(from)?,
        crate::ui::widgets::calendar::parse_typed_date(to)?.checked_add(1.days()).ok()?,
    );
    Some((start_of(from)?, start_of(to)?))
}

/// The columns a person chose («Колонки»), kept with the window's other settings.
fn shown_columns(ctx: &egui::Context) -> Vec<LeadColumn> {
    ctx.data_mut(|d| {
        d.get_persisted_mut_or_insert_with(egui::Id::unique("leads_columns"), || {
            LeadColumn::ALL.into_iter().filter(|c| c.shown_by_default()).collect::<Vec<_>>()
        })
        .clone()
    })
}

fn set_shown_columns(ctx: &egui::Context, columns: Vec<LeadColumn>) {
    ctx.data_mut(|d| d.insert_persisted(egui::Id::unique("leads_columns"), columns));
}

/// A column's starting width: together the default ones fit a 1280-pixel window.
fn column_width(column: LeadColumn) -> (f32, f32) {
    match column {
        LeadColumn::Number => (50.0, 45.0),
        LeadColumn::Created => (105.0, 80.0),
        LeadColumn::Title => (150.0, 80.0),
        LeadColumn::Client => (140.0, 80.0),
        LeadColumn::Phone => (120.0, 80.0),
        LeadColumn::Status => (85.0, 60.0),
        LeadColumn::Attraction => (120.0, 80.0),
        LeadColumn::Responsible => (110.0, 80.0),
        LeadColumn::Marker => (110.0, 80.0),
        LeadColumn::Origin => (130.0, 80.0),
        LeadColumn::Amount => (90.0, 80.0),
    }
}

impl LeadsScreen {
    pub(super) fn filters_ui(&mut self, ui: &mut egui::Ui) {
        let view = &mut self.view;
        let catalog = &self.catalog;
        let channels = self.list.channels();
        let me = self.current_user.as_ref().map(|(id, _)| crate::domain::Responsible::User(*id));
        ui.horizontal_wrapped(|ui| {
            let search = ui
                .add(
                    egui::TextEdit::singleline(&mut view.filter.search)
                        .hint_text("Поиск: заявка, клиент, телефон, e-mail (Ctrl+F)")
                        .desired_width(320.0),
                )
                .accessible_name("Поиск");
            if std::mem::take(&mut view.focus_search) {
                search.request_focus();
            }
            let before = view.period;
            let l = ui.label("Период:");
            egui::ComboBox::from_id_salt("leads_period")
                .selected_text(view.period.title())
                .show_ui(ui, |ui| {
                    for p in PeriodPreset::LEADS {
                        ui.selectable_value(&mut view.period, p, p.title());
                    }
                })
                .response
                .labelled_by(l.id);
            if view.period == PeriodPreset::Custom {
                let l = ui.label("с");
                ui.add(egui::TextEdit::singleline(&mut view.custom_from).hint_text("ДД.ММ.ГГГГ").desired_width(80.0))
                    .labelled_by(l.id);
                let l = ui.label("по");
                ui.add(egui::TextEdit::singleline(&mut view.custom_to).hint_text("ДД.ММ.ГГГГ").desired_width(80.0))
                    .labelled_by(l.id);
                view.filter.period = custom_range(&view.custom_from, &view.custom_to, &self.tz);
                let typed = !view.custom_from.trim().is_empty() && !view.custom_to.trim().is_empty();
                if typed && view.filter.period.is_none() {
                    ui.colored_label(ui.visuals().error_fg_color, "Даты — в виде 01.11.2026");
                }
            } else if view.period != before || (view.period != PeriodPreset::All && view.filter.period.is_none()) {
                let now = (self.clock)();
                let today = now.to_zoned(self.tz.clone()).date();
                view.filter.period = view.period.moments(now, &self.tz, (today, today));
            }
            keep_together(ui, 240.0);
            let l = ui.label("Статус:");
            egui::ComboBox::from_id_salt("leads_status")
                .selected_text(match view.filter.status_id {
                    None => "Все".to_string(),
                    id => catalog.status_name(id),
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut view.filter.status_id, None, "Все");
                    for s in &catalog.statuses {
                        ui.selectable_value(&mut view.filter.status_id, Some(s.id), &s.name);
                    }
                })
                .response
                .labelled_by(l.id);
            keep_together(ui, 330.0);
            let l = ui.label("Источник\u{a0}получения\u{a0}заявок:");
            egui::ComboBox::from_id_salt("leads_source")
                .selected_text(match view.filter.lead_source_id {
                    None => "Все".to_string(),
                    id => catalog.source_name(id),
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut view.filter.lead_source_id, None, "Все");
                    for s in &catalog.sources {
                        ui.selectable_value(&mut view.filter.lead_source_id, Some(s.id), &s.name);
                    }
                })
                .response
                .labelled_by(l.id);
            keep_together(ui, 200.0);
            let l = ui.label("Канал:");
            egui::ComboBox::from_id_salt("leads_channel")
                .selected_text(view.filter.channel.as_deref().unwrap_or("Все"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut view.filter.channel, None, "Все");
                    for channel in channels {
                        ui.selectable_value(&mut view.filter.channel, Some(channel.clone()), channel);
                    }
                })
                .response
                .labelled_by(l.id);
            keep_together(ui, 260.0);
            let l = ui.label("Происхождение:");
            egui::ComboBox::from_id_salt("leads_origin")
                .selected_text(view.filter.origin.map_or("Любое", Origin::title))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut view.filter.origin, None, "Любое");
                    for o in Origin::ALL {
                        ui.selectable_value(&mut view.filter.origin, Some(o), o.title());
                    }
                })
                .response
                .labelled_by(l.id);
            keep_together(ui, 220.0);
            let l = ui.label("Маркер:");
            egui::ComboBox::from_id_salt("leads_marker")
                .selected_text(match view.filter.marker {
                    MarkerFilter::Any => "Любой",
                    MarkerFilter::With => "С маркером",
                    MarkerFilter::Without => "Без маркера",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut view.filter.marker, MarkerFilter::Any, "Любой");
                    ui.selectable_value(&mut view.filter.marker, MarkerFilter::With, "С маркером");
                    ui.selectable_value(&mut view.filter.marker, MarkerFilter::Without, "Без маркера");
                })
                .response
                .labelled_by(l.id);
            if let Some(me) = me {
                let mut mine = view.filter.responsible == Some(me);
                if ui.checkbox(&mut mine, "Мои\u{a0}заявки").changed() {
                    view.filter.responsible = mine.then_some(me);
                }
            }
            // No-break spaces: a label wraps as a whole, never in the middle.
            ui.checkbox(&mut view.filter.show_deleted, "Помеченные\u{a0}на\u{a0}удаление");
            let filtered = view.filter != LeadFilter { templates: view.filter.templates, ..LeadFilter::default() }
                || view.period != PeriodPreset::All;
            if ui.add_enabled(filtered, egui::Button::new("Сбросить фильтры")).clicked() {
                view.reset_filters();
            }
            let mut shown = shown_columns(ui.ctx());
            let mut changed = false;
            ui.menu_button("Колонки", |ui| {
                for column in LeadColumn::ALL {
                    let mut on = shown.contains(&column);
                    if ui.checkbox(&mut on, column.title()).changed() {
                        changed = true;
                        if on {
                            shown.push(column);
                        } else if shown.len() > 1 {
                            shown.retain(|c| *c != column);
                        }
                    }
                }
            });
            if changed {
                shown.sort_by_key(|c| LeadColumn::ALL.iter().position(|a| a == c));
                set_shown_columns(ui.ctx(), shown);
            }
        });
        ui.horizontal(|ui| {
            let what = if self.view.filter.templates { "Шаблонов" } else { "Заявок" };
            let count = |n: usize| crate::domain::group_thousands(n as u64);
            ui.weak(format!("{what}: {}", count(self.list.visible_len())));
            if !self.view.selection.is_empty() {
                ui.weak(format!("· выделено: {}", count(self.view.selection.len())));
            }
        });
    }

    pub(super) fn table_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let list = &self.list;
        let view = &mut self.view;
        let tz = &self.tz;
        let rows = list.visible_len();
        let mut sort_by = None;
        let mut clicked: Option<(usize, LeadId, bool)> = None;
        let modifiers = ui.input(|i| i.modifiers);
        // Header and the horizontal scroll bar take about two rows.
        view.page_rows = ((ui.available_height() / 22.0) as usize).saturating_sub(2).max(1);
        let scroll_to = view.scroll_to.take();
        let columns = shown_columns(ui.ctx());
        // A narrow window (or the open form) scrolls the columns sideways instead of squeezing them.
        egui::ScrollArea::horizontal().id_salt("leads_table_scroll").show(ui, |ui| {
            // Clicks on the cells' text must reach the row.
            ui.style_mut().interaction.selectable_labels = false;
            let mut table = TableBuilder::new(ui);
            if let Some(index) = scroll_to {
                table = table.scroll_to_row(index, None);
            }
            // Not `remainder()` for the last one: inside a horizontal scroll area that would be endless.
            let table = columns.iter().fold(table, |table, column| {
                let (initial, least) = column_width(*column);
                table.column(Column::initial(initial).at_least(least).clip(true))
            });
            table
                .id_salt("leads_table")
                .striped(true)
                .resizable(true)
                .sense(egui::Sense::click())
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .min_scrolled_height(0.0)
                .header(24.0, |mut header| {
                    for &column in &columns {
                        header.col(|ui| {
                            let button = egui::Button::new(egui::RichText::new(column.title()).strong()).frame(false);
                            if ui.add(button).on_hover_text("Сортировать").clicked() {
                                sort_by = Some(column);
                            }
                            if view.sort == column {
                                sort_mark(ui, view.descending);
                            }
                        });
                    }
                })
                .body(|body| {
                    body.rows(22.0, rows, |mut row| {
                        let index = row.index();
                        let Some(r) = list.visible_row(index) else { return };
                        row.set_selected(view.selection.contains(&r.id));
                        row_cells(&mut row, r, tz, &columns);
                        let response = row.response();
                        if response.double_clicked() {
                            clicked = Some((index, r.id, true));
                        } else if response.clicked() {
                            clicked = Some((index, r.id, false));
                        }
                    });
                });
        });
        if let Some(column) = sort_by {
            if view.sort == column {
                view.descending = !view.descending;
            } else {
                view.sort = column;
                view.descending = matches!(column, LeadColumn::Created | LeadColumn::Number | LeadColumn::Amount);
            }
        }
        if let Some((index, id, double)) = clicked {
            if double {
                view.cursor = Some(id);
                actions.push(Action::Open(id));
            } else {
                view.click(list, index, id, modifiers);
            }
        }
    }
}

fn row_cells(row: &mut egui_extras::TableRow<'_, '_>, r: &LeadRow, tz: &jiff::tz::TimeZone, columns: &[LeadColumn]) {
    let deleted = r.deleted;
    let text = move |t: String| {
        let text = egui::RichText::new(t);
        if deleted { text.strikethrough() } else { text }
    };
    for column in columns {
        row.col(|ui| {
            let cell = match column {
                LeadColumn::Number => r.number.to_string(),
                LeadColumn::Created => r.created.to_zoned(tz.clone()).strftime("%d.%m.%Y %H:%M").to_string(),
                LeadColumn::Title => r.title.clone(),
                LeadColumn::Client => r.client.clone(),
                LeadColumn::Phone => r.phone.clone(),
                LeadColumn::Status => r.status.clone(),
                LeadColumn::Attraction => r.attraction.clone(),
                LeadColumn::Responsible => r.responsible.clone(),
                LeadColumn::Marker => r.marker.clone(),
                LeadColumn::Origin => r.origin.title().to_string(),
                LeadColumn::Amount => {
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if r.amount != crate::domain::Money::ZERO {
                            ui.label(text(money_text(r.amount)));
                        }
                    });
                    return;
                }
            };
            // «…» and the whole text on hover where a narrow column cuts it.
            ui.add(egui::Label::new(text(cell)).truncate());
        });
    }
}

/// A small painted triangle: the bundled font has no arrow glyphs.
fn sort_mark(ui: &mut egui::Ui, descending: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    let c = rect.center();
    let s = 4.0;
    let points = if descending {
        vec![c + egui::vec2(-s, -s / 2.0), c + egui::vec2(s, -s / 2.0), c + egui::vec2(0.0, s / 2.0)]
    } else {
        vec![c + egui::vec2(-s, s / 2.0), c + egui::vec2(0.0, -s / 2.0), c + egui::vec2(s, s / 2.0)]
    };
    ui.painter().add(egui::Shape::convex_polygon(points, ui.visuals().text_color(), egui::Stroke::NONE));
}

/// `12 500` or `12 500,50`: roubles without the ₽ sign, which the bundled font cannot draw.
pub(crate) fn money_text(m: crate::domain::Money) -> String {
    let sign = if m.kopecks() < 0 { "−" } else { "" };
    let abs = m.kopecks().unsigned_abs();
    let whole = crate::domain::group_thousands(abs / 100);
    if abs.is_multiple_of(100) { format!("{sign}{whole}") } else { format!("{sign}{whole},{:02}", abs % 100) }
}
