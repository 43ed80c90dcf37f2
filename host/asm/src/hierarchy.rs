//! Which accounts a definition reaches. The source's four rules ("Hierarchical &
//! Non-Hierarchical Alert Definitions apply to an Account as follows"):
//!
//! 1. a child account that is not a dealer gets only the hierarchical definitions
//!    of the dealers above it;
//! 2. a child account that is a dealer gets those plus every definition it owns;
//! 3. an orphan (no parent) that is not a dealer gets only the main dealer's
//!    hierarchical definitions;
//! 4. a dealer with no parent gets every definition it owns.
//!
//! "The dealers above it" are all its dealer ancestors, not only the nearest, so a
//! hierarchical definition reaches the owner's whole subtree.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::AccountId;

/// One account as the tenant tree holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AccountNode {
    /// The account above it; `None` for the main dealer and for orphans.
    pub parent: Option<AccountId>,
    /// Whether it services other accounts (and so may own definitions).
    pub is_dealer: bool,
}

/// The account tree and which dealer is the main one (the one orphans fall back to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AccountTree {
    /// Every account by id.
    pub accounts: BTreeMap<AccountId, AccountNode>,
    /// The Central main dealer.
    pub main_dealer: AccountId,
}

impl AccountTree {
    /// Whether the account is known and is a dealer.
    pub fn is_dealer(&self, account: AccountId) -> bool {
        self.accounts
            .get(&account)
            .is_some_and(|node| node.is_dealer)
    }

    /// Every dealer above the account, nearest first. A cycle in bad data ends the walk
    /// instead of looping.
    pub fn dealer_ancestors(&self, account: AccountId) -> Vec<AccountId> {
        let mut seen = BTreeSet::from([account]);
        let mut dealers = Vec::new();
        let mut next = self.accounts.get(&account).and_then(|node| node.parent);
        while let Some(id) = next {
            if !seen.insert(id) {
                break;
            }
            let Some(node) = self.accounts.get(&id) else {
                break;
            };
            if node.is_dealer {
                dealers.push(id);
            }
            next = node.parent;
        }
        dealers
    }

    /// The dealer that services the account's devices: the account itself when it is a
    /// dealer, else its nearest dealer ancestor, else (an orphan) the main dealer. Its
    /// contacts and processing behaviour decide who hears about the device.
    pub fn dealer_of(&self, account: AccountId) -> AccountId {
        if self.is_dealer(account) {
            return account;
        }
        self.dealer_ancestors(account)
            .first()
            .copied()
            .unwrap_or(self.main_dealer)
    }

    /// Whether a definition owned by `owner` (hierarchical or not) applies to devices of
    /// `account`, by the four rules in this module's doc. An unknown account gets nothing.
    pub fn applies(&self, owner: AccountId, hierarchical: bool, account: AccountId) -> bool {
        let Some(node) = self.accounts.get(&account) else {
            return false;
        };
        if node.is_dealer && owner == account {
            return true;
        }
        if !hierarchical {
            return false;
        }
        match node.parent {
            None => !node.is_dealer && owner == self.main_dealer,
            Some(_) => self.dealer_ancestors(account).contains(&owner),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: AccountId = AccountId(1);
    const SUB_DEALER: AccountId = AccountId(2);
    const CUSTOMER: AccountId = AccountId(3);
    const ORPHAN: AccountId = AccountId(4);
    const CUSTOMER_OF_SUB: AccountId = AccountId(5);
    const LONE_DEALER: AccountId = AccountId(6);

    fn tree() -> AccountTree {
        let node = |parent, is_dealer| AccountNode { parent, is_dealer };
        AccountTree {
            accounts: BTreeMap::from([
                (MAIN, node(None, true)),
                (SUB_DEALER, node(Some(MAIN), true)),
                (CUSTOMER, node(Some(MAIN), false)),
                (ORPHAN, node(None, false)),
                (CUSTOMER_OF_SUB, node(Some(SUB_DEALER), false)),
                (LONE_DEALER, node(None, true)),
            ]),
            main_dealer: MAIN,
        }
    }

    #[test]
    fn a_non_dealer_child_gets_only_its_parents_hierarchical_definitions() {
        let tree = tree();
        assert!(tree.applies(MAIN, true, CUSTOMER));
        assert!(!tree.applies(MAIN, false, CUSTOMER));
        // Every dealer above counts, not only the nearest.
        assert!(tree.applies(MAIN, true, CUSTOMER_OF_SUB));
        assert!(tree.applies(SUB_DEALER, true, CUSTOMER_OF_SUB));
        assert!(!tree.applies(SUB_DEALER, false, CUSTOMER_OF_SUB));
        assert!(!tree.applies(LONE_DEALER, true, CUSTOMER));
    }

    #[test]
    fn a_dealer_child_gets_its_parents_hierarchical_definitions_and_all_its_own() {
        let tree = tree();
        assert!(tree.applies(MAIN, true, SUB_DEALER));
        assert!(!tree.applies(MAIN, false, SUB_DEALER));
        assert!(tree.applies(SUB_DEALER, true, SUB_DEALER));
        assert!(tree.applies(SUB_DEALER, false, SUB_DEALER));
    }

    #[test]
    fn an_orphan_non_dealer_gets_only_the_main_dealers_hierarchical_definitions() {
        let tree = tree();
        assert!(tree.applies(MAIN, true, ORPHAN));
        assert!(!tree.applies(MAIN, false, ORPHAN));
        assert!(!tree.applies(SUB_DEALER, true, ORPHAN));
        assert!(!tree.applies(LONE_DEALER, true, ORPHAN));
    }

    #[test]
    fn a_dealer_with_no_parent_gets_all_its_own_definitions_only() {
        let tree = tree();
        assert!(tree.applies(LONE_DEALER, true, LONE_DEALER));
        assert!(tree.applies(LONE_DEALER, false, LONE_DEALER));
        assert!(!tree.applies(MAIN, true, LONE_DEALER));
        assert!(tree.applies(MAIN, false, MAIN));
    }

    #[test]
    fn a_devices_dealer_is_its_nearest_dealer_ancestor_or_the_main_dealer_for_an_orphan() {
        let tree = tree();
        assert_eq!(tree.dealer_of(CUSTOMER_OF_SUB), SUB_DEALER);
        assert_eq!(tree.dealer_of(CUSTOMER), MAIN);
        assert_eq!(tree.dealer_of(ORPHAN), MAIN);
        assert_eq!(tree.dealer_of(SUB_DEALER), SUB_DEALER);
    }
}
