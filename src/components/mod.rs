//! The component kit: provider, hooks, guard, `Show`, redirects and the flow components.

pub mod auth_provider;
pub mod flow_action;
pub mod forms;
pub mod islands;
pub mod nav;
pub mod not_found;
pub mod organizations;
pub mod required_tasks;
pub mod reverification;
pub mod session_token;
pub mod show;
pub mod sign_in;
pub mod sign_up;
pub mod task_gate;
pub mod tasks;
pub mod user_button;
pub mod vestibule;

pub use auth_provider::{
    use_auth, use_auth_context, use_auth_with, AuthContext, AuthGuard, AuthLoaded, AuthProvider,
};
pub use flow_action::{FlowAction, FlowCall};
pub use not_found::NotFound;
pub use organizations::{use_organization_list, OrganizationList, OrganizationSwitcher};
pub use required_tasks::{TaskAcceptTerms, TaskCustom};
pub use reverification::{use_reverification, ReverificationDialog, ReverificationPanel};
pub use session_token::{use_session_token, SessionTokens};
pub use show::{RedirectToSignIn, RedirectToTasks, Show, When};
pub use sign_in::SignIn;
pub use sign_up::SignUp;
pub use task_gate::TaskGate;
pub use tasks::{TaskChooseOrganization, TaskResetPassword, TaskSetupMfa};
pub use user_button::UserButton;
pub use vestibule::{
    decorate_url, use_vestibule, NavigateArgs, SetActive, SignOutParams, Vestibule,
};
