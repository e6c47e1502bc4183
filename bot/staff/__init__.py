"""What staff use: sign-in and accounts, the admin for listings and users, and the
partners' insights (counts only) with their charts."""
