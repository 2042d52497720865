//! The emails and SMS the instance sends, one template each. Subjects never carry a code (mail
//! clients show them in notifications and lists); the code is only in the body.

/// A message template: its name is what the outbox and the logs record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    SignInCode,
    ResetPasswordCode,
    ClientTrustCode,
    SignUpCode,
    SignInSmsCode,
    PhoneVerificationCode,
    NewDevice,
    PasswordChanged,
    FactorChanged,
    BackupCodesRegenerated,
    SignUpOnExistingAccount,
    Invitation,
}

impl Template {
    pub fn name(self) -> &'static str {
        match self {
            Self::SignInCode => "sign_in_code",
            Self::ResetPasswordCode => "reset_password_code",
            Self::ClientTrustCode => "client_trust_code",
            Self::SignUpCode => "sign_up_code",
            Self::SignInSmsCode => "sign_in_sms_code",
            Self::PhoneVerificationCode => "phone_verification_code",
            Self::NewDevice => "new_device",
            Self::PasswordChanged => "password_changed",
            Self::FactorChanged => "factor_changed",
            Self::BackupCodesRegenerated => "backup_codes_regenerated",
            Self::SignUpOnExistingAccount => "sign_up_on_existing_account",
            Self::Invitation => "invitation",
        }
    }
}

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub template: Template,
    pub subject: String,
    pub body: String,
    /// The code the body carries (kept in the outbox only in testing or development mode).
    pub code: Option<String>,
}

/// A verification code by email or SMS.
pub fn code(template: Template, instance: &str, code: &str) -> Message {
    let what = match template {
        Template::SignInCode => "sign in",
        Template::ResetPasswordCode => "reset your password",
        Template::ClientTrustCode => "verify this device",
        Template::SignUpCode => "verify your email address",
        Template::SignInSmsCode => "sign-in",
        _ => "verification",
    };
    let sms = matches!(
        template,
        Template::SignInSmsCode | Template::PhoneVerificationCode
    );
    let body = if sms {
        format!("Your {instance} {what} code is {code}.")
    } else {
        format!(
            "Your {instance} verification code is {code}.\n\nUse it to {what}. It expires in 10 \
             minutes. If you did not ask for it, you can ignore this email."
        )
    };
    Message {
        template,
        subject: if sms {
            String::new()
        } else {
            format!("Your {instance} verification code")
        },
        body,
        code: Some(code.to_string()),
    }
}

fn notice(template: Template, subject: String, body: String) -> Message {
    Message {
        template,
        subject,
        body,
        code: None,
    }
}

/// A sign-in completed from a browser that never signed in as the user (ASVS 6.3.5).
pub fn new_device(instance: &str, device: &str, ip: &str) -> Message {
    notice(
        Template::NewDevice,
        format!("New sign-in to your {instance} account"),
        format!(
            "Your {instance} account was just signed in to from a new device: {device}, from \
             {ip}. If this was not you, reset your password and sign out of all devices."
        ),
    )
}

/// The password changed (ASVS 6.3.7).
pub fn password_changed(instance: &str) -> Message {
    notice(
        Template::PasswordChanged,
        format!("Your {instance} password was changed"),
        format!(
            "The password of your {instance} account was just changed. If this was not you, \
             reset your password at once and contact your administrator."
        ),
    )
}

/// A second factor was added or removed (ASVS 6.3.7).
pub fn factor_changed(instance: &str, what: &str) -> Message {
    notice(
        Template::FactorChanged,
        format!("Two-step verification changed on your {instance} account"),
        format!(
            "{what} on your {instance} account. If this was not you, reset your password at once \
             and review your two-step verification settings."
        ),
    )
}

pub fn backup_codes_regenerated(instance: &str) -> Message {
    notice(
        Template::BackupCodesRegenerated,
        format!("Your {instance} backup codes were regenerated"),
        "New backup codes were generated for your account; the old ones no longer work. If this \
         was not you, reset your password at once."
            .to_string(),
    )
}

/// Someone tried to sign up with an address that has an account; no code.
pub fn sign_up_on_existing_account(instance: &str) -> Message {
    notice(
        Template::SignUpOnExistingAccount,
        format!("Sign-up attempt on your {instance} account"),
        format!(
            "Someone tried to create a {instance} account with this email address, which already \
             has an account. If it was you, sign in instead (use \"Forgot password?\" if needed). \
             If not, you can ignore this email."
        ),
    )
}

pub fn invitation(instance: &str, organization: &str, url: &str) -> Message {
    notice(
        Template::Invitation,
        format!("Invitation to join {organization}"),
        format!(
            "You have been invited to join {organization} on {instance}.\n\nAccept the \
             invitation: {url}\n\nThe link works once and expires in 7 days. If you were not \
             expecting it, ignore this email."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_never_carry_the_code() {
        for t in [
            Template::SignInCode,
            Template::ResetPasswordCode,
            Template::ClientTrustCode,
            Template::SignUpCode,
            Template::SignInSmsCode,
            Template::PhoneVerificationCode,
        ] {
            let m = code(t, "Vestibule", "493817");
            assert!(!m.subject.contains("493817"), "{}", t.name());
            assert!(m.body.contains("493817"));
            assert_eq!(m.code.as_deref(), Some("493817"));
        }
    }
}
