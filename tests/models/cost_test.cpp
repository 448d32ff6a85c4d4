// Cost models: cloud (on-demand, reserved, spot), on-prem TCO, run cost and ROI, hand-worked.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "models/cost/cloud_pricing.hpp"
#include "models/cost/onprem_tco.hpp"
#include "models/cost/price_catalog.hpp"
#include "models/cost/roi.hpp"
#include "models/cost/run_cost.hpp"
#include "models/util/errors.hpp"
#include "models/util/human_units.hpp"

using namespace trainsim;
using ::testing::HasSubstr;

// AWS p5.48xlarge 98.32 USD/h for 8 H100 (price list 2024) -> 12.29 USD per GPU-hour.
TEST(Cloud, OnDemandAndReservedDefaults) {
  CloudPricing p = default_cloud_pricing();
  p.on_demand_usd_per_gpu_hour = 12.29;
  EXPECT_NEAR(p.on_demand_usd_per_gpu_hour, 12.29, 1e-9);
  EXPECT_NEAR(cloud_cluster_usd_per_hour(p, 64, 8, 3600), 786.56, 1e-6);
  p.market = CloudMarket::Reserved;  // 40 % off
  EXPECT_NEAR(cloud_effective_usd_per_gpu_hour(p, 8, 3600), 7.374, 1e-9);
}

// Spot: 60 % off; a job preempted 0.1 times per hour, checkpoint every 3600 s (loses 1800 s on
// average) and restarting in 600 s wastes 0.1/3600 x 2400 = 1/15 of its time:
// multiplier = 0.4 / (1 - 1/15) = 3/7 = 0.428571.
TEST(Cloud, SpotMultiplier) {
  EXPECT_NEAR(spot_effective_multiplier(0.6, 0.1 / 3600, 1800, 600), 3.0 / 7.0, 1e-12);
  EXPECT_NEAR(preemption_time_multiplier(0.1 / 3600, 1800, 600), 15.0 / 14.0, 1e-12);
  CloudPricing p = default_cloud_pricing();
  p.on_demand_usd_per_gpu_hour = 12.29;
  p.market = CloudMarket::Spot;
  p.spot_preemptions_per_node_hour = 0.1 / 10;  // 10 nodes -> 0.1 per job-hour
  EXPECT_NEAR(cloud_effective_usd_per_gpu_hour(p, 10, 3600), 12.29 * 3.0 / 7.0, 1e-9);
  // Preempted more often than the waste per preemption: no progress.
  EXPECT_THROW(spot_effective_multiplier(0.6, 1.0 / 2000, 1800, 600), InputError);
}

// On-prem: 16 nodes x 270 k + 2 switches x 36 k + 1 storage server x 100 k = 4,492,000 USD.
// capital = 4,492,000 / (5 x 8766 h) / 0.8 = 128.1086 USD/h; maintenance 20 %/yr gives the same
// 128.1086 USD/h (0.2 = 1/5 years); energy 100 kW x 0.08 USD/kWh = 8 USD/h.
TEST(OnPrem, TcoAmortisation) {
  OnPremTco t = default_onprem_tco();
  t.capex_per_node_usd = 270000.0;  // DGX H100, SemiAnalysis 2023 (the catalog's default H100 server)
  EXPECT_NEAR(onprem_capex_usd(t, 16, 2, 1), 4492000.0, 1e-6);
  OnPremHourly h = onprem_cost_per_hour(t, 16, 2, 1, 100000.0);
  EXPECT_NEAR(h.capital_usd, 128.1086, 1e-3);
  EXPECT_NEAR(h.maintenance_usd, 128.1086, 1e-3);
  EXPECT_NEAR(h.energy_usd, 8.0, 1e-9);
  EXPECT_NEAR(h.total_usd(), 264.2172, 1e-3);
  // Full utilisation: capital drops by 0.8.
  t.utilisation = 1.0;
  EXPECT_NEAR(onprem_cost_per_hour(t, 16, 2, 1, 0).capital_usd, 102.4869, 1e-3);
}

// 100 USD/h cluster, 36 s iterations: 1 USD per iteration, 1000 iterations 1000 USD;
// 4 M tokens per iteration -> 0.25 USD per million tokens.
TEST(RunCostTest, PerIterationRunAndTokens) {
  RunCost c = run_cost(100.0, 36.0, 1000, 4e6);
  EXPECT_NEAR(c.usd_per_iteration, 1.0, 1e-12);
  EXPECT_NEAR(c.usd_per_run, 1000.0, 1e-9);
  EXPECT_NEAR(c.usd_per_million_tokens, 0.25, 1e-12);
}

// ROI: 1 M USD investment, 50 k USD saved per project, 8 projects a year -> 400 k/yr;
// payback 2.5 years; over 5 years (2 M - 1 M) / 1 M = 100 %.
TEST(Roi, PaybackAndPercent) {
  RoiResult r = roi(RoiInputs{1e6, 5e4, 8, 5, 0});
  EXPECT_NEAR(r.annual_net_savings_usd, 4e5, 1e-6);
  EXPECT_NEAR(r.payback_years, 2.5, 1e-12);
  EXPECT_NEAR(r.roi_percent, 100.0, 1e-9);
  // 100 k/yr operating cost: 300 k/yr net, payback 3.333 y, ROI (1.5 M - 1 M)/1 M = 50 %.
  RoiResult r2 = roi(RoiInputs{1e6, 5e4, 8, 5, 1e5});
  EXPECT_NEAR(r2.payback_years, 10.0 / 3.0, 1e-12);
  EXPECT_NEAR(r2.roi_percent, 50.0, 1e-9);
  RoiResult never = roi(RoiInputs{1e6, 0, 8, 5, 0});
  EXPECT_TRUE(std::isinf(never.payback_years));
  EXPECT_NEAR(never.roi_percent, -100.0, 1e-9);
}

TEST(CostJson, ParsesNestedObjects) {
  nlohmann::json j = nlohmann::json::parse(R"({"model": "on_prem",
      "cloud": {"market": "spot", "spot_discount": 0.7},
      "on_prem": {"amortisation_years": 4, "utilisation": 0.9},
      "roi": {"initial_investment_usd": 2e6, "savings_per_project_usd": 1e5, "projects_per_year": 4}})");
  CostSpec c = parse_cost(JsonReader(j, "<inline>", "$.cluster.cost"));
  EXPECT_EQ(c.model, CostModel::OnPrem);
  EXPECT_EQ(c.cloud.market, CloudMarket::Spot);
  EXPECT_NEAR(c.cloud.spot_discount, 0.7, 1e-12);
  EXPECT_NEAR(c.on_prem.amortisation_years, 4.0, 1e-12);
  EXPECT_NEAR(c.on_prem.utilisation, 0.9, 1e-12);
  // Prices come from the catalog once the GPU is known: the on-prem model prices the server.
  price_cost_from_catalog(c, "H100-SXM5-80GB", 8, "$.cluster.cost");
  EXPECT_NEAR(c.on_prem.capex_per_node_usd, 270000.0, 1e-9);  // DGX H100, SemiAnalysis (2023)
  EXPECT_THAT(c.on_prem.capex_source, HasSubstr("DGX H100"));
  ASSERT_TRUE(c.roi.has_value());
  EXPECT_NEAR(roi(*c.roi).payback_years, 5.0, 1e-12);
}

TEST(CostJson, ErrorsNamePath) {
  nlohmann::json j = nlohmann::json::parse(R"({"cloud": {"market": "cheap"}})");
  try {
    parse_cost(JsonReader(j, "<inline>", "$.cluster.cost"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("$.cluster.cost.cloud.market"));
    EXPECT_THAT(e.what(), HasSubstr("\"spot\""));
  }
  nlohmann::json j2 = nlohmann::json::parse(R"({"on_prem": {"utilisation": 1.5}})");
  try {
    parse_cost(JsonReader(j2, "<inline>", "$.cluster.cost"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("$.cluster.cost.on_prem.utilisation"));
  }
  nlohmann::json j3 = nlohmann::json::parse(R"({"roi": {"initial_investment_usd": 1e6}})");
  try {
    parse_cost(JsonReader(j3, "<inline>", "$.cluster.cost"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("$.cluster.cost.roi.savings_per_project_usd"));
    EXPECT_THAT(e.what(), HasSubstr("missing"));
  }
}

// Money in reports: thousands grouped, cents only for small sums (issue #21: "9.687e+06 USD").
TEST(HumanUnits, MoneyIsGroupedNotScientific) {
  EXPECT_EQ(trainsim::human_usd(9.687e6), "9,687,000 USD");
  EXPECT_EQ(trainsim::human_usd(412064089.4), "412,064,089 USD");
  EXPECT_EQ(trainsim::human_usd(443.2), "443.20 USD");
  EXPECT_EQ(trainsim::human_usd(-12345.6), "-12,346 USD");
}

// #21 "prices as data": each GPU type gets its own dated price from scenarios/prices/, not one
// H100 list price for every GPU; a stated price wins; a query with no offer names the field.
TEST(PriceCatalog, EachGpuIsPricedFromItsOwnDatedOffer) {
  const PriceCatalog& cat = price_catalog();
  ASSERT_GT(cat.offers.size(), 40u);
  for (const auto& o : cat.offers) {
    EXPECT_FALSE(o.source.empty()) << o.gpu << " " << o.provider;
    EXPECT_GE(o.date.size(), 4u) << o.gpu << " " << o.provider;
  }
  auto price = [&](const std::string& gpu, OfferQuery q) {
    return select_cloud_offer(cat, gpu, q, "$.cost.cloud").usd_per_gpu_hour;
  };
  OfferQuery aws;
  aws.provider = "aws";
  // AWS p5 (H100): 98.32 USD/h per 8 GPUs on the 2025-03 page, cut in June 2025.
  OfferQuery before = aws;
  before.as_of = "2025-05";
  EXPECT_NEAR(price("H100-SXM5-80GB", before), 12.29, 1e-9);
  EXPECT_LT(price("H100-SXM5-80GB", aws), 12.29 * 0.6);
  EXPECT_NEAR(price("A100-SXM4-80GB", before), 5.12, 1e-9);  // p4de 40.96 / 8
  // The H800 is priced as the H100 it derives from; a neocloud H100 is cheaper than AWS's.
  EXPECT_NEAR(price("H800-SXM5-80GB", before), 12.29, 1e-9);
  OfferQuery neo;
  neo.price_class = "neocloud_on_demand";
  EXPECT_LT(price("H100-SXM5-80GB", neo), price("H100-SXM5-80GB", aws));
  // No hyperscaler lists GB200 racks: a cluster that names no class rents them from a GPU cloud.
  EXPECT_EQ(select_cloud_offer(cat, "GB200", OfferQuery{}, "$.cost.cloud").price_class, "neocloud_on_demand");
  OfferQuery hyperscaler_only;
  hyperscaler_only.class_stated = true;
  EXPECT_THROW(price("GB200", hyperscaler_only), InputError);
  OfferQuery none = aws;
  none.instance = "p9.nonexistent";
  try {
    price("H100-SXM5-80GB", none);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("$.cost.cloud"));
    EXPECT_THAT(e.what(), HasSubstr("on_demand_usd_per_gpu_hour"));
  }
  // A stated price is kept; an unstated one is filled with its source.
  CostSpec stated = parse_cost(
      JsonReader(nlohmann::json::parse(R"({"cloud": {"on_demand_usd_per_gpu_hour": 2.5}})"), "<inline>", "$.cost"));
  price_cost_from_catalog(stated, "B200", 8, "$.cost");
  EXPECT_NEAR(stated.cloud.on_demand_usd_per_gpu_hour, 2.5, 1e-12);
  EXPECT_EQ(stated.cloud.price_source, "stated");
  CostSpec gb = default_cost();
  gb.model = CostModel::OnPrem;
  price_cost_from_catalog(gb, "GB200", 4, "$.cost");  // a 4-GPU tray of a ~3 M USD NVL72 rack
  EXPECT_NEAR(gb.on_prem.capex_per_node_usd, 3e6 / 72 * 4, 1.0);
}

// Reserved and spot discounts: the provider's published figure for the GPU when the catalog has
// one (AWS p4de 1-year 41.4%, 3-year 64.7%; GCP A3 3-year 56.1%; AWS p4d spot 71.7%), else the
// assumed default, and the report says which.
TEST(PriceCatalog, DiscountsComeFromThePublishedCommitments) {
  auto priced = [](const std::string& cloud, const std::string& gpu) {
    CostSpec c = parse_cost(JsonReader(nlohmann::json::parse(cloud), "<inline>", "$.cost"));
    price_cost_from_catalog(c, gpu, 8, "$.cost");
    return c.cloud;
  };
  const auto r1 =
      priced(R"({"cloud": {"market": "reserved", "provider": "aws", "as_of": "2025-05"}})", "A100-SXM4-80GB");
  EXPECT_NEAR(r1.reserved_discount, 0.414, 1e-9);
  EXPECT_NEAR(cloud_effective_usd_per_gpu_hour(r1, 8, 3600), 5.12 * (1 - 0.414), 1e-9);
  EXPECT_THAT(r1.price_source, HasSubstr("1y discount 41%"));
  const auto r3 = priced(R"({"cloud": {"market": "reserved", "term": "3y", "provider": "gcp"}})", "H100-SXM5-80GB");
  EXPECT_NEAR(r3.reserved_discount, 0.561, 1e-9);
  const auto sp = priced(R"({"cloud": {"market": "spot", "provider": "aws", "as_of": "2025-05"}})", "A100-SXM4-40GB");
  EXPECT_NEAR(sp.spot_discount, 0.717, 1e-9);
  // No published commitment for Oracle's B200: the assumed 40% is used and said.
  const auto none = priced(R"({"cloud": {"market": "reserved", "provider": "oracle"}})", "B200");
  EXPECT_NEAR(none.reserved_discount, 0.40, 1e-9);
  EXPECT_THAT(none.price_source, HasSubstr("assumed"));
  // A stated discount wins.
  const auto stated =
      priced(R"({"cloud": {"market": "reserved", "provider": "aws", "reserved_discount": 0.2}})", "A100-SXM4-80GB");
  EXPECT_NEAR(stated.reserved_discount, 0.2, 1e-12);
}
