// Frameworks as data (sim/scenario/framework.hpp): a profile's features and defaults, the selection
// rule of a {name, version, date} reference, and a strategy resolved through a profile.
#include "sim/scenario/framework.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "models/util/errors.hpp"
#include "sim/scenario/scenario.hpp"

namespace trainsim {
namespace {

nlohmann::json profile_json(const std::string& name, const std::string& version, const std::string& date, bool modern) {
  nlohmann::json f = {{"tensor_parallel", true},
                      {"pipeline_parallel", true},
                      {"interleaved_schedule", true},
                      {"gradient_accumulation_fusion", modern},
                      {"fused_bias", modern}};
  f["sequence_parallel"] = modern;
  f["selective_recompute"] = modern;
  f["attention"] = modern ? nlohmann::json{"unfused", "flash"} : nlohmann::json{"unfused"};
  f["zero_stages"] = modern ? nlohmann::json{0, 1} : nlohmann::json{0};
  nlohmann::json d = nlohmann::json::object();
  if (!modern) {
    d["attention"] = {{"value", "unfused"}, {"source", "no FlashAttention before 2022"}};
    d["gradient_accumulation_fusion"] = {{"value", false}, {"source", "test"}};
    d["fused_bias"] = {{"value", false}, {"source", "test"}};
  } else {
    d["sequence_parallel"] = {{"value", true}, {"source", "its recipes"}};
  }
  return {{"name", name}, {"version", version}, {"date", date}, {"features", f}, {"defaults", d}};
}

std::string testing_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

FrameworkProfile profile(const std::string& name, const std::string& version, const std::string& date, bool modern) {
  return parse_framework_profile(JsonReader(profile_json(name, version, date, modern), "<test>"));
}

TEST(Framework, StatedKnobWinsAndAbsentOnesTakeTheDefault) {
  const FrameworkProfile old = profile("megatron-lm", "2021", "2021-04", false);
  nlohmann::json st = {{"tp", 8}, {"pp", 8}, {"recompute", "full"}};
  const auto fills = apply_framework(old, st, "s.json: $.strategy");
  EXPECT_EQ(st["attention"], "unfused");
  EXPECT_EQ(st["gradient_accumulation_fusion"], false);
  EXPECT_EQ(st["recompute"], "full");  // stated
  EXPECT_EQ(fills.size(), 3u);
  EXPECT_NE(fills[0].find("megatron-lm 2021 (2021-04)"), std::string::npos) << fills[0];
}

TEST(Framework, AKnobTheFrameworkLacksIsAnErrorNamingTheFieldAndTheFramework) {
  const FrameworkProfile old = profile("megatron-lm", "2021", "2021-04", false);
  nlohmann::json st = {{"tp", 8}, {"recompute", "selective"}};
  try {
    apply_framework(old, st, "s.json: $.strategy");
    FAIL() << "selective recomputation accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("$.strategy.recompute: selective recomputation is not in megatron-lm 2021"),
              std::string::npos)
        << e.what();
  }
  nlohmann::json z = {{"zero", 1}};
  EXPECT_THROW(apply_framework(old, z, "w"), InputError);
  nlohmann::json a = {{"attention", "flash"}};
  EXPECT_THROW(apply_framework(old, a, "w"), InputError);
  // The same knobs are in a 2022 profile.
  const FrameworkProfile later = profile("megatron-lm", "2022", "2022-07", true);
  const nlohmann::json stated = {{"recompute", "selective"}, {"zero", 1}, {"attention", "flash"}};
  EXPECT_EQ(knobs_not_in(old, stated).size(), 3u);
  EXPECT_TRUE(knobs_not_in(later, stated).empty());
  nlohmann::json ok = stated;
  EXPECT_NO_THROW(apply_framework(later, ok, "w"));
}

TEST(Framework, AProfileMustHaveItsOwnDefaults) {
  nlohmann::json j = profile_json("x", "1", "2021", false);
  j["defaults"]["sequence_parallel"] = {{"value", true}, {"source", "wrong"}};  // a feature it lacks
  EXPECT_THROW(parse_framework_profile(JsonReader(j, "<test>")), InputError);
  nlohmann::json k = profile_json("x", "1", "2021", false);
  k["defaults"].erase("attention");  // no flash and no attention default
  EXPECT_THROW(parse_framework_profile(JsonReader(k, "<test>")), InputError);
  nlohmann::json u = profile_json("x", "1", "2021", true);
  u["features"]["warp_drive"] = true;
  EXPECT_THROW(parse_framework_profile(JsonReader(u, "<test>")), InputError);
  nlohmann::json d = profile_json("x", "1", "2021-13", true);
  EXPECT_THROW(parse_framework_profile(JsonReader(d, "<test>")), InputError);
  // `tuned` names searchable knobs only, and the error says which element is wrong.
  nlohmann::json t = profile_json("x", "1", "2021", true);
  t["tuned"] = {"overlap_grad_reduce", "dropout"};
  try {
    parse_framework_profile(JsonReader(t, "<test>"));
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("$.tuned[1]"), std::string::npos) << e.what();
  }
  t["tuned"] = {"overlap_grad_reduce"};
  EXPECT_EQ(parse_framework_profile(JsonReader(t, "<test>")).tuned.size(), 1u);
}

TEST(Framework, SelectionRule) {
  std::vector<FrameworkProfile> catalog = {
      profile("megatron-core", "0.5", "2024-02", true), profile("megatron-core", "0.8", "2024-08", true),
      profile("generic", "2021", "2021-01", false), profile("generic", "2024", "2024-01", true)};
  catalog[1].versions = {"0.6", "0.7", "0.8"};
  std::string why;
  // The stated version.
  EXPECT_EQ(select_framework(catalog, {"megatron-core", "0.7", "2030"}, "w", &why).version, "0.8");
  EXPECT_NE(why.find("stated version"), std::string::npos);
  // No version: the newest dated no later than the date.
  EXPECT_EQ(select_framework(catalog, {"megatron-core", std::nullopt, "2024-05"}, "w").version, "0.5");
  EXPECT_EQ(select_framework(catalog, {"megatron-core", std::nullopt, "2024"}, "w").version, "0.8");  // any month
  EXPECT_EQ(select_framework(catalog, {"megatron-core", std::nullopt, std::nullopt}, "w").version, "0.8");
  // All later than the date: the oldest, and it says so.
  EXPECT_EQ(select_framework(catalog, {"megatron-core", std::nullopt, "2023-01"}, "w", &why).version, "0.5");
  EXPECT_NE(why.find("oldest"), std::string::npos);
  // An unknown name: the generic profile of its time.
  EXPECT_EQ(select_framework(catalog, {"in-house", std::nullopt, "2022-06"}, "w").version, "2021");
  EXPECT_EQ(select_framework(catalog, {"in-house", std::nullopt, "2025"}, "w", &why).version, "2024");
  EXPECT_NE(why.find("generic"), std::string::npos);
  EXPECT_THROW(select_framework(catalog, {"in-house", std::nullopt, "2019"}, "w"), InputError);
}

TEST(Framework, ScenarioResolvesItsStrategyThroughTheCatalog) {
  const auto dir = std::filesystem::temp_directory_path() / "trainsim-framework-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "old.json") << profile_json("megatron-lm", "2021", "2021-04", false).dump();
  std::ofstream(dir / "new.json") << profile_json("megatron-lm", "2022", "2022-07", true).dump();
  const nlohmann::json cluster = {{"gpu", "A100-SXM4-80GB"}, {"nodes", 2}, {"gpus_per_node", 8}};
  const nlohmann::json workload = {
      {"model", {{"layers", 8}, {"hidden", 1024}, {"heads", 16}, {"seq_len", 2048}, {"vocab", 51200}}},
      {"global_batch", 64}};
  nlohmann::json sc = {{"cluster", cluster},
                       {"workload", workload},
                       {"strategy", {{"tp", 2}, {"pp", 2}}},
                       {"framework", {{"name", "megatron-lm"}, {"date", "2021-06"}}}};
  ::setenv("TRAINSIM_FRAMEWORKS_DIR", dir.c_str(), 1);
  const Scenario s = parse_scenario(sc, "<test>", ".");
  ASSERT_TRUE(s.framework);
  EXPECT_EQ(s.framework->version, "2021");
  EXPECT_EQ(s.strategy.attention, AttentionImpl::Unfused);
  EXPECT_FALSE(s.strategy.gradient_accumulation_fusion);
  EXPECT_FALSE(s.framework_fills.empty());
  sc["framework"]["date"] = "2023";
  const Scenario t = parse_scenario(sc, "<test>", ".");
  EXPECT_EQ(t.framework->version, "2022");
  EXPECT_TRUE(t.strategy.sequence_parallel);  // its default, tp 2
  EXPECT_EQ(t.strategy.attention, AttentionImpl::Flash);
  sc["framework"]["date"] = "2021";
  sc["strategy"]["sequence_parallel"] = true;
  EXPECT_THROW(parse_scenario(sc, "<test>", "."), InputError);
  // Interleaving that splits the layers unevenly (2 x 3 chunks over 8 layers) needs a framework
  // with uneven virtual stages; the error names the field and the framework.
  sc["strategy"] = {{"tp", 2}, {"pp", 2}, {"vp", 3}, {"schedule", "interleaved-1f1b"}};
  try {
    parse_scenario(sc, "<test>", ".");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("$.strategy.vp"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("megatron-lm 2021"), std::string::npos) << e.what();
  }
  sc["strategy"]["vp"] = 2;  // 2 x 2 chunks divide the 8 layers
  EXPECT_EQ(parse_scenario(sc, "<test>", ".").strategy.vp, 2);
  ::unsetenv("TRAINSIM_FRAMEWORKS_DIR");
  std::filesystem::remove_all(dir);
}

// The shipped catalog (scenarios/frameworks): every profile loads, the frameworks the published
// runs name are there, and each resolves a plain strategy with its own defaults.
TEST(Framework, ShippedProfilesLoadAndResolve) {
  const auto& catalog = framework_catalog();
  ASSERT_GE(catalog.size(), 13u);
  for (const char* name : {"megatron-lm", "megatron-core", "megatron-deepspeed", "deepspeed", "nemo", "megatron-bridge",
                           "llm-foundry", "torchtitan", "pytorch-ddp", "generic"})
    EXPECT_TRUE(std::any_of(catalog.begin(), catalog.end(), [&](const auto& p) { return p.name == name; })) << name;
  const nlohmann::json cluster = {{"gpu", "H100-SXM5-80GB"}, {"nodes", 2}, {"gpus_per_node", 8}};
  const nlohmann::json workload = {
      {"model", {{"layers", 8}, {"hidden", 1024}, {"heads", 16}, {"seq_len", 2048}, {"vocab", 51200}}},
      {"global_batch", 64}};
  for (const auto& p : catalog) {
    EXPECT_FALSE(p.sources.empty()) << p.origin;
    nlohmann::json st = {{"tp", p.has("tensor_parallel") ? 2 : 1}};
    nlohmann::json sc = {{"cluster", cluster}, {"workload", workload}, {"strategy", st}, {"framework", p.origin}};
    try {
      const Scenario s = parse_scenario(sc, "<test>", ".");
      EXPECT_EQ(s.framework->label(), p.label());
      // Its defaults hold where they apply.
      if (p.defaults.count("attention"))
        EXPECT_EQ(to_string(s.strategy.attention), p.defaults.at("attention").value.get<std::string>()) << p.origin;
      if (p.defaults.count("zero")) EXPECT_EQ(s.strategy.zero, p.defaults.at("zero").value.get<int>()) << p.origin;
    } catch (const InputError& e) {
      ADD_FAILURE() << p.origin << ": " << e.what();
    }
  }
}

// MoE token dispatchers are a list of the profile's: absent, all-to-all alone; a stated dispatcher
// the profile lacks is an error naming the field; an unknown name in a profile is an error naming
// the element.
TEST(Framework, MoeDispatchersAreTheProfilesList) {
  auto base = profile_json("megatron-core", "0.8", "2024-08", true);
  base["features"]["expert_parallel"] = true;
  const FrameworkProfile plain = parse_framework_profile(JsonReader(base, "<test>"));
  EXPECT_EQ(plain.moe_dispatchers, std::vector<std::string>{"alltoall"});
  nlohmann::json st = {{"ep", 8}, {"moe_dispatcher", "deepep"}};
  try {
    apply_framework(plain, st, "s.json: $.strategy");
    FAIL() << "deepep accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("$.strategy.moe_dispatcher: the MoE token dispatcher \"deepep\" is not in "
                                         "megatron-core 0.8"),
              std::string::npos)
        << e.what();
  }
  auto j = profile_json("megatron-core", "0.16", "2026-02", true);
  j["features"]["expert_parallel"] = true;
  j["features"]["moe_dispatchers"] = {"alltoall", "allgather", "deepep", "hybridep"};
  const FrameworkProfile flex = parse_framework_profile(JsonReader(j, "<test>"));
  nlohmann::json ok = {{"ep", 8}, {"moe_dispatcher", "hybridep"}};
  EXPECT_NO_THROW(apply_framework(flex, ok, "w"));
  j["features"]["moe_dispatchers"] = {"alltoall", "nccl-ep"};
  const std::string e = testing_error([&] { parse_framework_profile(JsonReader(j, "f.json")); });
  EXPECT_NE(e.find("f.json: $.features.moe_dispatchers[1]"), std::string::npos) << e;
}

}  // namespace
}  // namespace trainsim
