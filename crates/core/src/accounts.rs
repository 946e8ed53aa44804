//! Who may create a portal account for an address, and how: the rule that keeps anyone from
//! reaching the tickets of an address they have not proved to own.

/// What the portal's registration policy says about one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyVerdict {
    /// Anyone may register.
    Open,
    /// Registration is limited to some domains, and this address is on one of them.
    ListedDomain,
    /// Registration is limited to some domains, and this address is not on one of them.
    OtherDomain,
    /// Accounts are created by staff only.
    Closed,
}

/// What the desk already knows about an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressState {
    /// Never seen.
    Unknown,
    /// A requester without a confirmed account: known from tickets (phone, mail, an agent, the
    /// API) or registered but never confirmed.
    Known,
    /// A confirmed account with a password.
    Account,
}

/// Why a registration is refused. Only `Known` depends on what the desk knows, and it is only
/// answered when the desk cannot send mail (so it cannot ask the owner of the address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Closed,
    OtherDomain,
    /// Domain-restricted registration joins people to their organisation: without mail to
    /// confirm the address, anyone could claim one.
    NeedsMail,
    /// The address already has tickets or an account, and without mail its owner cannot be
    /// asked to confirm it.
    Known,
}

/// What registering an address leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationPlan {
    Refuse(Refusal),
    /// A new requester with the password, signed in at once (no mail: nothing else is possible,
    /// and nothing of anyone else is reachable from it).
    CreateAndSignIn,
    /// Mail a confirmation link; the account (password, name, organisation) takes effect only
    /// when the owner of the address follows it.
    MailConfirmation,
    /// Mail "you already have an account" to the address: the visitor sees the same answer as
    /// for a new address.
    MailAccountExists,
}

/// The registration rule. `mail` says whether the desk can send mail.
pub fn plan_registration(policy: PolicyVerdict, mail: bool, address: AddressState) -> RegistrationPlan {
    use RegistrationPlan::*;
    match (policy, mail, address) {
        (PolicyVerdict::Closed, _, _) => Refuse(Refusal::Closed),
        (PolicyVerdict::OtherDomain, _, _) => Refuse(Refusal::OtherDomain),
        (PolicyVerdict::ListedDomain, false, _) => Refuse(Refusal::NeedsMail),
        (PolicyVerdict::Open, false, AddressState::Unknown) => CreateAndSignIn,
        (PolicyVerdict::Open, false, _) => Refuse(Refusal::Known),
        (_, true, AddressState::Account) => MailAccountExists,
        (_, true, AddressState::Unknown | AddressState::Known) => MailConfirmation,
    }
}

/// How many links (status checks, password resets, confirmations) may be mailed within an
/// hour. Counted per client and address, per client, and per address, so a stranger cannot use
/// up the allowance of someone else's address and nobody can flood an inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkQuota {
    pub per_client_and_address: u64,
    pub per_client: u64,
    pub per_address: u64,
}

impl Default for LinkQuota {
    fn default() -> Self {
        LinkQuota { per_client_and_address: 5, per_client: 20, per_address: 20 }
    }
}

/// Links already mailed within the hour, as counted for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinksSent {
    pub by_client_to_address: u64,
    pub by_client: u64,
    pub to_address: u64,
}

impl LinkQuota {
    pub fn allows(&self, sent: LinksSent) -> bool {
        sent.by_client_to_address < self.per_client_and_address && sent.by_client < self.per_client && sent.to_address < self.per_address
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AddressState::*;
    use PolicyVerdict::*;
    use RegistrationPlan::*;

    #[test]
    fn without_mail_only_unknown_addresses_register_and_domains_need_mail() {
        assert_eq!(plan_registration(Open, false, Unknown), CreateAndSignIn);
        assert_eq!(plan_registration(Open, false, Known), Refuse(Refusal::Known), "someone who phoned or wrote");
        assert_eq!(plan_registration(Open, false, Account), Refuse(Refusal::Known));
        for a in [Unknown, Known, Account] {
            assert_eq!(plan_registration(ListedDomain, false, a), Refuse(Refusal::NeedsMail));
            assert_eq!(plan_registration(Closed, true, a), Refuse(Refusal::Closed));
            assert_eq!(plan_registration(OtherDomain, true, a), Refuse(Refusal::OtherDomain));
        }
    }

    #[test]
    fn with_mail_every_address_gets_the_same_answer() {
        for policy in [Open, ListedDomain] {
            assert_eq!(plan_registration(policy, true, Unknown), MailConfirmation);
            assert_eq!(plan_registration(policy, true, Known), MailConfirmation);
            assert_eq!(plan_registration(policy, true, Account), MailAccountExists);
        }
    }

    #[test]
    fn link_quota_counts_each_way() {
        let q = LinkQuota::default();
        assert!(q.allows(LinksSent::default()));
        assert!(!q.allows(LinksSent { by_client_to_address: 5, ..Default::default() }));
        assert!(!q.allows(LinksSent { by_client: 20, ..Default::default() }));
        assert!(!q.allows(LinksSent { to_address: 20, ..Default::default() }));
        assert!(q.allows(LinksSent { by_client_to_address: 4, by_client: 19, to_address: 19 }));
    }
}
