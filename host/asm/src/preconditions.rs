//! What must be configured before a dealer can define alerts (the source's "ASM
//! Preconditions"): a valid e-mail for the main dealer's primary contact, the ASM
//! e-mail templates, SMTP, every dealer's primary dealer contacts, every account's
//! primary contact, and every dealer's processing behaviour.
//!
//! Every dealer has e-mail templates (its own, a dealer's above, or the built-in ones),
//! so the templates are missing only where a dealer's own no longer renders: the server
//! checks each stored template with [`crate::templates::check`] and names those that fail.

use serde::{Deserialize, Serialize};

use crate::hierarchy::AccountTree;
use crate::ids::AccountId;
use crate::recipients::{Contacts, DealerRole, ProcessingBehaviour, is_plausible_email};
use crate::templates::TemplateKind;

/// The server-wide settings the preconditions look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ServerSetup {
    /// The dealers' own e-mail templates that do not render, by dealer and kind.
    pub unusable_templates: Vec<(AccountId, TemplateKind)>,
    /// Whether SMTP is enabled.
    pub smtp_enabled: bool,
}

/// One missing precondition, naming the dealer or account concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(
    rename_all_fields = "kebab-case",
    rename_all = "kebab-case",
    tag = "missing"
)]
pub enum Missing {
    /// The main dealer's primary contact has no valid e-mail address.
    MainDealerPrimaryEmail {
        /// The main dealer.
        dealer: AccountId,
    },
    /// A dealer's own e-mail template of a kind does not render.
    EmailTemplate {
        /// The dealer.
        dealer: AccountId,
        /// Which template.
        kind: TemplateKind,
    },
    /// SMTP is not enabled.
    Smtp,
    /// A dealer lacks a primary dealer contact with a valid address.
    PrimaryDealerContact {
        /// The dealer.
        dealer: AccountId,
        /// Which contact.
        role: DealerRole,
    },
    /// An account's primary contact has no valid address.
    PrimaryAccountContact {
        /// The account.
        account: AccountId,
    },
    /// A dealer has not configured its alerts processing behaviour.
    ProcessingBehaviour {
        /// The dealer.
        dealer: AccountId,
    },
}

/// Everything missing before definitions can be created; empty when ASM is ready.
pub fn missing_preconditions(
    tree: &AccountTree,
    contacts: &Contacts,
    behaviours: &[ProcessingBehaviour],
    setup: &ServerSetup,
) -> Vec<Missing> {
    let valid = |address: Option<&String>| address.is_some_and(|a| is_plausible_email(a));
    let mut missing = Vec::new();
    if !valid(contacts.account_primary.get(&tree.main_dealer)) {
        missing.push(Missing::MainDealerPrimaryEmail {
            dealer: tree.main_dealer,
        });
    }
    for &(dealer, kind) in &setup.unusable_templates {
        missing.push(Missing::EmailTemplate { dealer, kind });
    }
    if !setup.smtp_enabled {
        missing.push(Missing::Smtp);
    }
    for (&account, node) in &tree.accounts {
        if node.is_dealer {
            let roles = contacts.dealer_primary.get(&account);
            for role in DealerRole::ALL {
                if !valid(roles.and_then(|roles| roles.get(&role))) {
                    missing.push(Missing::PrimaryDealerContact {
                        dealer: account,
                        role,
                    });
                }
            }
            if !behaviours.iter().any(|b| b.dealer == account) {
                missing.push(Missing::ProcessingBehaviour { dealer: account });
            }
        }
        if !valid(contacts.account_primary.get(&account)) {
            missing.push(Missing::PrimaryAccountContact { account });
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::hierarchy::AccountNode;
    use crate::recipients::Recipient;

    const MAIN: AccountId = AccountId(1);
    const CUSTOMER: AccountId = AccountId(2);

    fn tree() -> AccountTree {
        AccountTree {
            accounts: BTreeMap::from([
                (
                    MAIN,
                    AccountNode {
                        parent: None,
                        is_dealer: true,
                    },
                ),
                (
                    CUSTOMER,
                    AccountNode {
                        parent: Some(MAIN),
                        is_dealer: false,
                    },
                ),
            ]),
            main_dealer: MAIN,
        }
    }

    #[test]
    fn nothing_configured_lists_every_missing_precondition_naming_who() {
        let missing = missing_preconditions(
            &tree(),
            &Contacts::default(),
            &[],
            &ServerSetup {
                unusable_templates: vec![(MAIN, TemplateKind::Redirect)],
                smtp_enabled: false,
            },
        );
        let mut expected = vec![
            Missing::MainDealerPrimaryEmail { dealer: MAIN },
            Missing::EmailTemplate {
                dealer: MAIN,
                kind: TemplateKind::Redirect,
            },
            Missing::Smtp,
        ];
        expected.extend(
            DealerRole::ALL.map(|role| Missing::PrimaryDealerContact { dealer: MAIN, role }),
        );
        expected.push(Missing::ProcessingBehaviour { dealer: MAIN });
        expected.push(Missing::PrimaryAccountContact { account: MAIN });
        expected.push(Missing::PrimaryAccountContact { account: CUSTOMER });
        assert_eq!(missing, expected);
    }

    #[test]
    fn a_fully_configured_server_has_no_missing_preconditions() {
        let contacts = Contacts {
            dealer_primary: BTreeMap::from([(
                MAIN,
                DealerRole::ALL
                    .into_iter()
                    .map(|role| (role, format!("{role:?}@dealer.example").to_lowercase()))
                    .collect(),
            )]),
            alternates: BTreeMap::new(),
            account_primary: BTreeMap::from([
                (MAIN, "owner@dealer.example".to_owned()),
                (CUSTOMER, "it@customer.example".to_owned()),
            ]),
        };
        let behaviours = [ProcessingBehaviour {
            dealer: MAIN,
            result_type: "email".into(),
            recipients: vec![Recipient::PrimaryDealerContact(DealerRole::Supplies)],
        }];
        let setup = ServerSetup {
            unusable_templates: Vec::new(),
            smtp_enabled: true,
        };
        assert_eq!(
            missing_preconditions(&tree(), &contacts, &behaviours, &setup),
            vec![]
        );
        let mut invalid = contacts.clone();
        invalid
            .account_primary
            .insert(MAIN, "owner at dealer".to_owned());
        assert_eq!(
            missing_preconditions(&tree(), &invalid, &behaviours, &setup),
            vec![
                Missing::MainDealerPrimaryEmail { dealer: MAIN },
                Missing::PrimaryAccountContact { account: MAIN },
            ]
        );
    }
}
