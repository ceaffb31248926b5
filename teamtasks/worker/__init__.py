"""The worker and the scheduler: jobs on taskiq, run outside the bot's loop.

broker.py (the broker and the jobs' names), context.py (what each job receives), limiter.py
(Telegram's sending limits), one module per area of jobs (delivery, billing_notifier,
reminders, maintenance), jobs.py (registering them on a broker), schedule.py (when the
scheduler kicks them) and process.py (the `worker` and `scheduler` processes, and the
in-process worker of `demo`).
"""
