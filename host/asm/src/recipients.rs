//! Alerts processing behaviour: per (dealer, action result type), who receives. And the
//! source's two redirections: "ASM actions of type Email that cannot identify any valid
//! email recipient are redirected to dealer admin", and so are failed e-mails.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, ContactId};

/// The five primary contacts of a dealer.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum DealerRole {
    /// The dealer admin: where redirected e-mails go.
    Admin,
    /// Support.
    Support,
    /// Service.
    Service,
    /// Supplies.
    Supplies,
    /// Billing.
    Billing,
}

impl DealerRole {
    /// All five, for the precondition that each is configured.
    pub const ALL: [DealerRole; 5] = [
        DealerRole::Admin,
        DealerRole::Support,
        DealerRole::Service,
        DealerRole::Supplies,
        DealerRole::Billing,
    ];
}

/// One recipient choice of a processing behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum Recipient {
    /// A primary contact of the device's dealer.
    PrimaryDealerContact(DealerRole),
    /// An alternate contact of the device's dealer.
    DealerAlternateContact(ContactId),
    /// The primary contact of the device's account.
    PrimaryAccountContact,
    /// An alternate contact of the device's account.
    AccountAlternateContact(ContactId),
    /// A fixed address.
    Custom(String),
}

/// Who receives the results of one action result type, for one dealer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ProcessingBehaviour {
    /// The dealer it belongs to.
    pub dealer: AccountId,
    /// The action result type (`email`, …).
    pub result_type: String,
    /// Who receives.
    pub recipients: Vec<Recipient>,
}

/// The contacts' e-mail addresses the store knows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Contacts {
    /// Each dealer's primary contacts by role.
    pub dealer_primary: BTreeMap<AccountId, BTreeMap<DealerRole, String>>,
    /// Alternate contacts (of dealers and accounts alike), by contact id: the account
    /// they belong to and their address.
    pub alternates: BTreeMap<ContactId, (AccountId, String)>,
    /// Each account's primary contact.
    pub account_primary: BTreeMap<AccountId, String>,
}

impl Contacts {
    /// The dealer admin's address, when it is plausible.
    pub fn dealer_admin(&self, dealer: AccountId) -> Option<&str> {
        self.dealer_primary
            .get(&dealer)
            .and_then(|roles| roles.get(&DealerRole::Admin))
            .map(String::as_str)
            .filter(|address| is_plausible_email(address))
    }
}

/// Who an e-mail goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum Resolution {
    /// These plausible addresses, in the behaviour's order, without repeats.
    Send(Vec<String>),
    /// No valid recipient: the e-mail goes to the dealer admin instead.
    RedirectToDealerAdmin,
}

/// Whether an address looks deliverable: `something@domain.tld`, no spaces. A check of
/// form only; whether it exists is the mail server's to say.
pub fn is_plausible_email(address: &str) -> bool {
    if address.chars().any(char::is_whitespace) {
        return false;
    }
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let Some((name, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    !local.is_empty() && !domain.contains('@') && !name.is_empty() && !tld.is_empty()
}

/// Who receives an action's results for a device of `account` serviced by `dealer`
/// (the account itself when a dealer, else its first dealer ancestor). An alternate
/// contact counts only when it belongs to the dealer (or account) the choice names.
/// Without a behaviour, or with no plausible address among its choices, the result is
/// redirected to the dealer admin.
pub fn resolve(
    behaviour: Option<&ProcessingBehaviour>,
    contacts: &Contacts,
    account: AccountId,
    dealer: AccountId,
) -> Resolution {
    let Some(behaviour) = behaviour else {
        return Resolution::RedirectToDealerAdmin;
    };
    let alternate_of = |owner: AccountId, id: &ContactId| {
        contacts
            .alternates
            .get(id)
            .filter(|(belongs_to, _)| *belongs_to == owner)
            .map(|(_, address)| address.as_str())
    };
    let mut addresses: Vec<String> = Vec::new();
    for recipient in &behaviour.recipients {
        let address = match recipient {
            Recipient::PrimaryDealerContact(role) => contacts
                .dealer_primary
                .get(&dealer)
                .and_then(|roles| roles.get(role))
                .map(String::as_str),
            Recipient::DealerAlternateContact(id) => alternate_of(dealer, id),
            Recipient::PrimaryAccountContact => {
                contacts.account_primary.get(&account).map(String::as_str)
            }
            Recipient::AccountAlternateContact(id) => alternate_of(account, id),
            Recipient::Custom(address) => Some(address.as_str()),
        };
        if let Some(address) = address.filter(|address| is_plausible_email(address))
            && !addresses.iter().any(|known| known == address)
        {
            addresses.push(address.to_owned());
        }
    }
    if addresses.is_empty() {
        Resolution::RedirectToDealerAdmin
    } else {
        Resolution::Send(addresses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEALER: AccountId = AccountId(1);
    const CUSTOMER: AccountId = AccountId(2);
    const OTHER: AccountId = AccountId(3);

    fn contacts() -> Contacts {
        Contacts {
            dealer_primary: BTreeMap::from([(
                DEALER,
                BTreeMap::from([
                    (DealerRole::Admin, "admin@dealer.example".to_owned()),
                    (DealerRole::Supplies, "supplies@dealer.example".to_owned()),
                ]),
            )]),
            alternates: BTreeMap::from([
                (ContactId(10), (DEALER, "night@dealer.example".to_owned())),
                (
                    ContactId(11),
                    (CUSTOMER, "keyop@customer.example".to_owned()),
                ),
                (ContactId(12), (OTHER, "someone@other.example".to_owned())),
            ]),
            account_primary: BTreeMap::from([(CUSTOMER, "it@customer.example".to_owned())]),
        }
    }

    fn behaviour(recipients: Vec<Recipient>) -> ProcessingBehaviour {
        ProcessingBehaviour {
            dealer: DEALER,
            result_type: "email".into(),
            recipients,
        }
    }

    #[test]
    fn each_recipient_choice_resolves_to_its_contacts_address() {
        let behaviour = behaviour(vec![
            Recipient::PrimaryDealerContact(DealerRole::Supplies),
            Recipient::DealerAlternateContact(ContactId(10)),
            Recipient::PrimaryAccountContact,
            Recipient::AccountAlternateContact(ContactId(11)),
            Recipient::Custom("buyer@vendor.example".into()),
            Recipient::PrimaryAccountContact,
        ]);
        assert_eq!(
            resolve(Some(&behaviour), &contacts(), CUSTOMER, DEALER),
            Resolution::Send(vec![
                "supplies@dealer.example".into(),
                "night@dealer.example".into(),
                "it@customer.example".into(),
                "keyop@customer.example".into(),
                "buyer@vendor.example".into(),
            ])
        );
    }

    #[test]
    fn a_behaviour_with_no_plausible_address_resolves_to_the_dealer_admin() {
        let contacts = contacts();
        let unusable = behaviour(vec![
            Recipient::PrimaryDealerContact(DealerRole::Billing),
            Recipient::Custom("not an address".into()),
            Recipient::Custom("nobody@localhost".into()),
            // Another account's alternate is not this account's.
            Recipient::AccountAlternateContact(ContactId(12)),
        ]);
        assert_eq!(
            resolve(Some(&unusable), &contacts, CUSTOMER, DEALER),
            Resolution::RedirectToDealerAdmin
        );
        assert_eq!(
            resolve(None, &contacts, CUSTOMER, DEALER),
            Resolution::RedirectToDealerAdmin
        );
        assert_eq!(contacts.dealer_admin(DEALER), Some("admin@dealer.example"));
    }

    #[test]
    fn a_plausible_email_is_something_at_domain_dot_tld_without_spaces() {
        for good in ["a@b.co", "first.last+asm@mail.dealer.example"] {
            assert!(is_plausible_email(good), "{good}");
        }
        for bad in [
            "", "a@b", "@b.co", "a@.co", "a@b.", "a b@c.co", "a@b@c.co", "ab.co",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }
}
