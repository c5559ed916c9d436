//! «Сверка с Roistat»: the proxy leads Roistat says it sent, matched with ours. Pure: the caller
//! reads both sides and hands them in.

use super::LeadId;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// A lead that reached us more than this after Roistat created it came late: Roistat had to resend it,
/// or someone created it from the reconciliation.
pub const LATE_AFTER: SignedDuration = SignedDuration::from_hours(1);

/// At most this many late or missing leads are kept in a stored result (the counts stay exact).
pub const KEPT_PER_LIST: usize = 1000;

/// A proxy lead as Roistat lists it (`project/proxy-leads`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoistatLead {
    /// Roistat's lead id: our idempotency key.
    pub id: String,
    /// What Roistat thinks we answered (`order_id`); may be empty.
    pub order_id: String,
    pub title: String,
    pub text: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub visit: String,
    /// `creation_date` as Roistat gave it (`2016-07-12 14:51:39`).
    pub created: String,
}

/// What the matching needs of one of our leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OurLead {
    pub id: LeadId,
    pub roistat_lead_id: Option<String>,
    /// When Roistat says the lead was made (its `created_date`), or when it was typed in.
    pub created: Timestamp,
    /// When it reached us; unknown for leads stored before this was recorded.
    pub received: Option<Timestamp>,
}

/// A lead that came, but late.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateLead {
    pub lead_id: LeadId,
    pub roistat: RoistatLead,
    pub delay_minutes: i64,
}

/// The outcome of one reconciliation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reconciliation {
    pub from: Option<jiff::civil::Date>,
    pub to: Option<jiff::civil::Date>,
    pub checked_at: Option<Timestamp>,
    /// Arrived in time.
    pub arrived: usize,
    pub late_count: usize,
    pub late: Vec<LateLead>,
    pub missing_count: usize,
    /// Roistat sent them (or says so) and we do not have them.
    pub missing: Vec<RoistatLead>,
    /// Why the last reconciliation could not run, if it could not.
    pub error: Option<String>,
}

impl Reconciliation {
    /// A missing lead has been created here: it now counts as late.
    pub fn resolve(&mut self, roistat_id: &str, lead: &OurLead) {
        let Some(at) = self.missing.iter().position(|m| m.id == roistat_id) else { return };
        let roistat = self.missing.remove(at);
        self.missing_count = self.missing_count.saturating_sub(1);
        self.late_count += 1;
        self.late.push(LateLead { lead_id: lead.id, roistat, delay_minutes: delay(lead).as_mins() });
    }
}

fn delay(lead: &OurLead) -> SignedDuration {
    lead.received.map(|r| r.duration_since(lead.created)).unwrap_or(SignedDuration::ZERO)
}

/// Matches Roistat's leads with ours: by Roistat's lead id first, then by the `order_id` Roistat
/// recorded. Each of our leads answers for one Roistat lead at most.
pub fn reconcile(roistat: &[RoistatLead], ours: &[OurLead]) -> Reconciliation {
    let mut out = Reconciliation::default();
    let mut used = std::collections::HashSet::new();
    for r in roistat {
        let by_id = (!r.id.trim().is_empty())
            .then(|| ours.iter().find(|o| o.roistat_lead_id.as_deref() == Some(r.id.trim())))
            .flatten();
        let by_order = || r.order_id.trim().parse::<LeadId>().ok().and_then(|id| ours.iter().find(|o| o.id == id));
        match by_id.or_else(by_order).filter(|o| used.insert(o.id)) {
            None => {
                out.missing_count += 1;
                if out.missing.len() < KEPT_PER_LIST {
                    out.missing.push(r.clone());
                }
            }
            Some(o) if delay(o) > LATE_AFTER => {
                out.late_count += 1;
                if out.late.len() < KEPT_PER_LIST {
                    out.late.push(LateLead { lead_id: o.id, roistat: r.clone(), delay_minutes: delay(o).as_mins() });
                }
            }
            Some(_) => out.arrived += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roistat(id: &str, order_id: &str) -> RoistatLead {
        RoistatLead {
            id: id.into(),
            order_id: order_id.into(),
            title: format!("Заявка {id}"),
            ..RoistatLead::default()
        }
    }

    fn ours(id: LeadId, rid: Option<&str>, delay_minutes: i64) -> OurLead {
        let created = Timestamp::from_second(1_800_000_000).unwrap();
        OurLead {
            id,
            roistat_lead_id: rid.map(String::from),
            created,
            received: Some(created + SignedDuration::from_mins(delay_minutes)),
        }
    }

    #[test]
    fn by_roistat_id_then_by_order_id_and_the_rest_is_missing() {
        let from_roistat = [roistat("r1", ""), roistat("r2", "12"), roistat("r3", "99"), roistat("", "13")];
        let ours = [ours(10, Some("r1"), 0), ours(12, None, 1), ours(13, Some("other"), 0)];
        let r = reconcile(&from_roistat, &ours);
        assert_eq!((r.arrived, r.late_count, r.missing_count), (3, 0, 1));
        assert_eq!(r.missing[0].id, "r3");
    }

    #[test]
    fn late_when_it_reached_us_over_an_hour_after_roistat_made_it() {
        let r = reconcile(&[roistat("r1", ""), roistat("r2", "")], &[ours(1, Some("r1"), 60), ours(2, Some("r2"), 61)]);
        assert_eq!((r.arrived, r.late_count), (1, 1));
        assert_eq!((r.late[0].lead_id, r.late[0].delay_minutes), (2, 61));
        // Unknown arrival time (leads from before it was recorded) is not called late.
        let unknown = OurLead { received: None, ..ours(3, Some("r3"), 0) };
        assert_eq!(reconcile(&[roistat("r3", "")], &[unknown]).arrived, 1);
    }

    #[test]
    fn one_lead_of_ours_answers_for_one_of_roistat() {
        // Roistat lists a lead twice (its own duplicate), both naming our order 5.
        let r = reconcile(&[roistat("a", "5"), roistat("b", "5")], &[ours(5, None, 0)]);
        assert_eq!((r.arrived, r.missing_count), (1, 1));
    }

    #[test]
    fn a_created_missing_lead_moves_to_late() {
        let mut r = reconcile(&[roistat("r1", "")], &[]);
        r.resolve("r1", &ours(7, Some("r1"), 600));
        assert_eq!((r.missing_count, r.late_count, r.late[0].lead_id, r.late[0].delay_minutes), (0, 1, 7, 600));
        assert!(r.missing.is_empty());
    }
}
