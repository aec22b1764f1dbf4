"""Real study material for the local provider tests: the same topic (photosynthesis) as a
Korean and an English textbook paragraph."""

KO = (
    "광합성은 식물이 빛 에너지를 이용하여 이산화탄소와 물로부터 포도당과 산소를 "
    "만드는 과정이다. 이 과정은 주로 잎의 엽록체에서 일어나며, 엽록체 안의 "
    "엽록소가 빛 에너지를 흡수한다. 광합성은 크게 명반응과 암반응으로 나뉜다. "
    "명반응은 틸라코이드 막에서 일어나며, 빛 에너지를 이용해 물을 분해하고 ATP와"
    " NADPH를 만든다. 이때 물이 분해되면서 산소가 부산물로 방출된다. 암반응은"
    " 스트로마에서 일어나며 캘빈 회로라고도 부른다. 캘빈 회로에서는 명반응에서 "
    "만들어진 ATP와 NADPH를 사용하여 이산화탄소를 고정하고 포도당을 합성한다."
    " 광합성의 속도는 빛의 세기, 이산화탄소 농도, 온도 등의 영향을 받는다. "
    "광합성은 지구 생태계의 에너지 흐름을 시작하는 과정이므로 모든 생물에게 "
    "중요하다."
)

EN = (
    "Photosynthesis is the process by which green plants, algae and some bacteria convert light"
    " energy into chemical energy. During photosynthesis, light energy is captured by "
    "chlorophyll in the chloroplasts and used to turn carbon dioxide and water into glucose and"
    " oxygen. The process has two main stages. The light-dependent reactions take place in the "
    "thylakoid membranes, where water is split and ATP and NADPH are produced. Oxygen is "
    "released as a by-product when water molecules are split. The light-independent reactions, "
    "also called the Calvin cycle, take place in the stroma. In the Calvin cycle, the energy "
    "stored in ATP and NADPH is used to fix carbon dioxide into glucose. The rate of "
    "photosynthesis depends on light intensity, carbon dioxide concentration and temperature. "
    "Because it supplies the energy that almost every food chain depends on, photosynthesis is "
    "essential for life on Earth."
)

# The texts a new learner tried first: a Korean history paragraph and an English biology one
# whose key concepts were counters, verb forms and bare adjectives before the offline provider
# analysed Korean morphology.
KO_HISTORY = (
    "조선은 1392년 이성계가 고려를 무너뜨리고 세운 나라이다. 제4대 왕 세종은 집현전의 학자들과 "
    "함께 훈민정음을 창제하였고, 1446년에 훈민정음을 반포하였다. 훈민정음 창제 이전에는 한자를 "
    "익힌 양반만 글을 쓸 수 있었다. 세종 때에는 측우기 같은 과학 기구도 만들어졌다. 성종 때에는 "
    "나라를 다스리는 기본 법전인 경국대전이 완성되었고, 경국대전은 조선이 끝날 때까지 통치의 "
    "뼈대가 되었다. 1592년에는 일본이 침략한 임진왜란이 일어났다. 임진왜란에서 이순신은 거북선을 "
    "앞세운 수군을 이끌고 일본 수군을 물리쳤다. 임진왜란은 조선 사회를 크게 흔들었다."
)

EN_CELLS = (
    "Cellular respiration releases the energy stored in glucose. In the cytoplasm, glycolysis "
    "splits each glucose molecule into two molecules of pyruvate. The pyruvate then enters the "
    "mitochondria, where the Krebs cycle breaks it down and releases carbon dioxide. Each turn "
    "of the Krebs cycle also loads the carriers NADH and FADH2. Finally, the electron transport "
    "chain uses these carriers to make most of the ATP, and oxygen accepts the electrons at the "
    "end of the chain. Six molecules of oxygen are needed for each glucose molecule. Without "
    "oxygen, green plants and animals turn to fermentation, a chemical pathway that makes far "
    "less ATP. Cycles like the Krebs cycle are common in biochemistry."
)
