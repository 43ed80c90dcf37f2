//! The ids the engine speaks: the store's BIGINT row ids, wrapped so an account can
//! never be passed where a device is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($what, " {}"), self.0)
            }
        }
    };
}

id_type!(
    /// An account (customer or dealer); devices belong to one, definitions are owned by one.
    AccountId,
    "account"
);
id_type!(
    /// A device in the inventory.
    DeviceId,
    "device"
);
id_type!(
    /// A contract a device may be on, for the contract filter.
    ContractId,
    "contract"
);
id_type!(
    /// A device group, for the group filter.
    GroupId,
    "group"
);
id_type!(
    /// A consumable or service alert definition.
    DefinitionId,
    "definition"
);
id_type!(
    /// One action of an alert definition.
    ActionDefinitionId,
    "action"
);
id_type!(
    /// A user who approves or rejects an alert.
    UserId,
    "user"
);
id_type!(
    /// An alternate contact of a dealer or an account.
    ContactId,
    "contact"
);
id_type!(
    /// A supplier of consumables, whose part costs ASM may quote.
    SupplierId,
    "supplier"
);
id_type!(
    /// A webhook endpoint a dealer configured, which webhook actions call.
    WebhookEndpointId,
    "webhook endpoint"
);
