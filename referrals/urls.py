from django.urls import path

from referrals.apis import (
    NotificationListApi,
    NotificationReadApi,
    ReferralActionApi,
    ReferralDetailApi,
    ReferralListApi,
    SuggestionsApi,
    WebhookDeliveryListApi,
    WebhookListApi,
)
from referrals.directory_apis import (
    DirectoryExportApi,
    DirectoryImportApi,
    OrganizationDetailApi,
    OrganizationListApi,
    RoutingSettingsApi,
    ServiceAtLocationListApi,
    ServiceDetailApi,
    ServiceListApi,
    TaxonomyListApi,
    TaxonomyTermListApi,
)

urlpatterns = [
    # The directory, on Open Referral HSDS 3's endpoints.
    path("directory/services", ServiceListApi.as_view(), name="directory-service-list"),
    path("directory/services/<uuid:service_id>", ServiceDetailApi.as_view(),
         name="directory-service-detail"),
    path("directory/organizations", OrganizationListApi.as_view(),
         name="directory-organization-list"),
    path("directory/organizations/<uuid:organization_id>", OrganizationDetailApi.as_view(),
         name="directory-organization-detail"),
    path("directory/service_at_locations", ServiceAtLocationListApi.as_view(),
         name="directory-service-at-location-list"),
    path("directory/taxonomies", TaxonomyListApi.as_view(), name="directory-taxonomy-list"),
    path("directory/taxonomy_terms", TaxonomyTermListApi.as_view(),
         name="directory-taxonomy-term-list"),
    path("directory/export", DirectoryExportApi.as_view(), name="directory-export"),
    path("directory/import", DirectoryImportApi.as_view(), name="directory-import"),
    # Routing and referrals.
    path("routing/settings", RoutingSettingsApi.as_view(), name="routing-settings"),
    path("routing/suggestions", SuggestionsApi.as_view(), name="routing-suggestions"),
    path("referrals", ReferralListApi.as_view(), name="referral-list"),
    path("referrals/<uuid:referral_id>", ReferralDetailApi.as_view(), name="referral-detail"),
    path("referrals/<uuid:referral_id>/<str:action>", ReferralActionApi.as_view(),
         name="referral-action"),
    path("notifications", NotificationListApi.as_view(), name="notification-list"),
    path("notifications/<int:notification_id>/read", NotificationReadApi.as_view(),
         name="notification-read"),
    path("webhooks", WebhookListApi.as_view(), name="webhook-list"),
    path("webhooks/<uuid:webhook_id>/deliveries", WebhookDeliveryListApi.as_view(),
         name="webhook-delivery-list"),
]
