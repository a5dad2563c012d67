from django.urls import path

from reviews.people import views, views_competencies

app_name = "people"

urlpatterns = [
    path("", views.home, name="home"),
    path("one-on-ones/new/", views.one_on_one_new, name="one-on-one-new"),
    path("one-on-ones/<uuid:one_on_one_id>/", views.one_on_one, name="one-on-one"),
    path("one-on-ones/<uuid:one_on_one_id>/points/", views.one_on_one_point, name="point-add"),
    path("one-on-ones/<uuid:one_on_one_id>/tick/", views.one_on_one_tick, name="point-tick"),
    path("one-on-ones/<uuid:one_on_one_id>/note/", views.one_on_one_note, name="note-save"),
    path("one-on-ones/<uuid:one_on_one_id>/actions/", views.one_on_one_action, name="action-add"),
    path("one-on-ones/<uuid:one_on_one_id>/hold/", views.one_on_one_hold, name="hold"),
    path("recognition/", views.recognition, name="recognition"),
    path("recognition/feed/", views.recognition_feed, name="recognition-feed"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("plans/new/", views.plan_new, name="plan-new"),
    path("plans/<uuid:plan_id>/", views.plan, name="plan"),
    path("plans/<uuid:plan_id>/edit/", views.plan_edit, name="plan-edit"),
    path("plans/<uuid:plan_id>/approve/", views.plan_approve, name="plan-approve"),
    path("plans/<uuid:plan_id>/sign/", views.plan_acknowledge, name="plan-sign"),
    path("plans/<uuid:plan_id>/move/", views.plan_move, name="plan-move"),
    path("plans/<uuid:plan_id>/milestone/", views.plan_milestone, name="plan-milestone"),
    path("plans/<uuid:plan_id>/pdf/", views.plan_pdf, name="plan-pdf"),
    path("partners/", views.partners, name="partners"),
    path("settings/", views.people_settings, name="settings"),
    path("values/", views.company_value_add, name="value-add"),
    path("my-data/", views.my_data, name="my-data"),
    path("competencies/", views_competencies.competencies, name="competencies"),
    path("competencies/add/", views_competencies.competency_add, name="competency-add"),
    path("competencies/expected/", views_competencies.expected_level_set, name="expected-set"),
    path("competencies/assess/", views_competencies.assessment_start, name="assessment-start"),
    path(
        "competencies/assessments/<uuid:assessment_id>/",
        views_competencies.assessment,
        name="assessment",
    ),
    path(
        "competencies/assessments/<uuid:assessment_id>/goals/",
        views_competencies.development_goal_add,
        name="goal-add",
    ),
    path("calibration/", views_competencies.calibration, name="calibration"),
]
