//! The behaviour suite every store backend passes: one function per behaviour, written once against
//! the traits (cargo feature `conformance`).
//!
//! A backend's test file runs the whole suite with one line, [`conformance_suite!`](crate::conformance_suite),
//! given a function that opens a fresh, empty store and returns it with whatever keeps it alive (a
//! temporary directory, a throw-away database):
//!
//! ```ignore
//! truce_store::conformance_suite!(|| {
//!     let dir = tempfile::tempdir().expect("a temporary directory");
//!     let store = truce_store::SqliteStore::open(dir.path()).expect("a store");
//!     (dir, store)
//! });
//! ```
//!
//! Each behaviour becomes one `#[test]` named after it, so a backend that breaks one says which. What
//! is specific to a backend (reopening a file, its schema version) stays in that backend's own tests.

pub mod coalition;
pub mod journal;
pub mod marti;
pub mod observations;
pub mod tracks;
pub mod users;

/// Runs every behaviour of the suite as its own `#[test]` against the store `$open` returns (a
/// `(guard, store)` pair: the guard keeps the store's resources alive for the test).
#[macro_export]
macro_rules! conformance_suite {
    ($open:expr) => {
        $crate::conformance_suite!(@each $open;
            observations::an_insert_is_idempotent,
            observations::other_content_under_a_stored_id_is_a_conflict,
            observations::an_id_twice_in_one_batch_is_stored_once,
            observations::a_load_with_indexes_left_until_after_its_rows_judges_ids_alike,
            observations::an_amendment_keeps_every_version,
            observations::a_withdrawal_leaves_lists_and_keeps_the_history,
            observations::a_batch_with_an_unstorable_row_stores_nothing,
            observations::the_time_window_includes_since_and_excludes_until,
            observations::received_since_finds_late_reports_with_old_times,
            observations::the_bbox_filter_includes_its_edges,
            observations::a_box_finds_its_rows_on_every_day_of_the_range,
            observations::an_area_pages_alike_however_its_rows_are_found,
            observations::the_near_filter_is_geodesic,
            observations::category_violation_and_zone_filters_combine,
            observations::list_filters_select_any_of_their_values,
            observations::the_polygon_filter_includes_its_edges_and_not_its_notch,
            observations::a_named_area_selects_what_it_covers,
            observations::the_releasable_filter_narrows_to_what_a_nation_may_see,
            observations::paging_visits_every_row_once_in_time_then_insertion_order,
            observations::a_cursor_not_handed_out_is_refused,
            observations::stats_count_what_the_filters_select,
            observations::a_store_answers_alike_after_giving_back_its_memory,
            observations::reclassification_rewrites_every_classification_and_filter,
            observations::a_days_change_counter_moves_with_every_write_to_that_day,
            observations::a_kept_day_is_read_back_only_by_its_audience,
            tracks::the_history_is_newest_first_and_limited,
            tracks::the_live_picture_is_the_latest_unstale_atom_of_each_uid,
            tracks::a_late_report_does_not_replace_the_latest_position,
            tracks::a_geofence_event_is_stored_once_and_caught_up_by_sequence,
            tracks::a_point_without_position_details_round_trips,
            tracks::a_window_of_every_uid_is_oldest_first_and_paged,
            journal::alerts_keep_their_order_and_the_latest_of_each_scope,
            journal::each_audience_reads_only_its_own_alerts,
            journal::acknowledgements_are_kept_with_their_alert_and_only_for_its_readers,
            journal::a_case_moves_only_from_the_stage_its_caller_saw,
            journal::cases_are_listed_oldest_first,
            coalition::the_pledge_history_accumulates_across_imports,
            coalition::an_import_that_changes_nothing_writes_nothing,
            coalition::a_scoped_store_reads_exactly_the_visible_coalition,
            coalition::an_import_that_only_relabels_is_a_change,
            coalition::a_dated_row_without_a_date_is_refused,
            users::a_user_round_trips_with_its_password_kept_apart,
            users::a_duplicate_user_is_refused,
            users::an_invalid_user_is_refused,
            users::users_are_listed_by_name,
            users::disabling_a_user_ends_its_sessions_and_tokens,
            users::a_password_change_ends_logins_but_keeps_api_tokens,
            users::an_unknown_user_cannot_be_changed,
            users::a_session_is_found_touched_and_deleted,
            users::sessions_expire_absolutely_and_when_idle,
            marti::a_file_is_stored_once_by_its_hash,
            marti::file_searches_filter_and_list_the_newest_first,
            marti::a_scoped_handle_sees_only_the_files_it_may,
            marti::deleting_a_file_removes_it_from_every_mission,
            marti::a_mission_is_created_once,
            marti::subscriptions_are_kept_until_ended,
            marti::adding_contents_is_all_or_nothing_and_once,
            marti::removing_content_logs_it_once,
            marti::a_scoped_reader_sees_only_the_contents_and_changes_it_may,
            marti::a_deleted_mission_keeps_its_log,
            marti::odd_names_round_trip,
        );
    };
    (@each $open:expr; $($module:ident :: $behaviour:ident),* $(,)?) => {
        $(
            #[test]
            fn $behaviour() {
                let (_guard, store) = ($open)();
                $crate::conformance::$module::$behaviour(&store);
            }
        )*
    };
}
