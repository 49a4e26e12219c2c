from mocheong_core.errors import Conflict, Forbidden, Unauthorized


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    title = "Wrong email or password"


class InvalidToken(Unauthorized):
    code = "invalid_token"
    title = "The token is not valid"


class AccountDisabled(Forbidden):
    code = "account_disabled"
    title = "This account is disabled"


class EmailTaken(Conflict):
    code = "email_taken"
    title = "An account with this email already exists"


class AdminOnly(Forbidden):
    code = "forbidden"
    title = "Only an administrator may do this"


class SelfLockout(Conflict):
    code = "self_lockout"
    title = "An administrator cannot disable or demote their own account"
